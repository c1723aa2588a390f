from illdesk.requestviews import urls_for

from .views import SIDE

app_name = "lending"
urlpatterns = urls_for(SIDE)

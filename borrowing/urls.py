from illdesk.requestviews import urls_for

from .views import SIDE

app_name = "borrowing"
urlpatterns = urls_for(SIDE)

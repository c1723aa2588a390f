app_name = "opac"
urlpatterns: list = []

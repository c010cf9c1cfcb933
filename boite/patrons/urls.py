app_name = "patrons"

urlpatterns: list = []

app_name = "pro"

urlpatterns: list = []

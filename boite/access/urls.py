from django.urls import path

from boite.access import views

app_name = "access"

urlpatterns = [
    path("acces/<slug:slug>/", views.gate, name="gate"),
    path("acces/<slug:slug>/<int:record_id>/", views.gate, name="gate_record"),
    path("compte/ressources/", views.my_resources, name="my_resources"),
    path("cas/login", views.cas_login, name="cas_login"),
    path("cas/logout", views.cas_logout, name="cas_logout"),
    path("cas/validate", views.cas_validate, name="cas_validate"),
    path("cas/serviceValidate", views.cas_service_validate, name="cas_service_validate"),
    path("cas/p3/serviceValidate", views.cas_p3_service_validate, name="cas_p3_service_validate"),
    path("cas/proxyValidate", views.cas_proxy_validate, name="cas_proxy_validate"),
    path("cas/p3/proxyValidate", views.cas_proxy_validate, name="cas_p3_proxy_validate"),
    path("cas/proxy", views.cas_proxy, name="cas_proxy"),
]

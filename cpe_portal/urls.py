from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("readyz/", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("", include("submissions.urls")),
    path("", include("certifications.urls")),
    path("", include("appeals.urls")),
    path("", include("credentials.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "cpe_portal.views.permission_denied"
handler404 = "cpe_portal.views.page_not_found"
handler500 = "cpe_portal.views.server_error"

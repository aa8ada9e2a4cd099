from django.urls import path

from . import views

app_name = "certifications"

urlpatterns = [
    path("verify/<uuid:badge_id>/", views.badge, name="badge"),
]

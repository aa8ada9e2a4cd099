from django.urls import path, re_path

from . import views

app_name = "credentials"

urlpatterns = [
    path("accounts/calendar/", views.calendar_settings, name="calendar"),
    path("accounts/calendar/create/", views.calendar_create, name="calendar_create"),
    path("accounts/calendar/reset/", views.calendar_reset, name="calendar_reset"),
    # The token is the address's secret: `token` keeps it out of the request log.
    re_path(r"^calendar/(?P<token>[A-Za-z0-9_-]{1,64})\.ics$", views.calendar_feed,
            name="calendar_feed"),
    # did:web resolves the portal's domain to this address.
    path(".well-known/did.json", views.issuer_did_document, name="did_document"),
    path("credentials/status/<int:list_id>", views.status_list, name="status_list"),
    path("credentials/<uuid:badge_id>.jwt", views.badge_credential, {"as_json": False},
         name="badge_credential"),
    path("credentials/<uuid:badge_id>.json", views.badge_credential, {"as_json": True},
         name="badge_credential_json"),
    path("credentials/<uuid:badge_id>.svg", views.badge_image, {"kind": "svg"},
         name="badge_image"),
    path("credentials/<uuid:badge_id>.png", views.badge_image, {"kind": "png"},
         name="badge_image_png"),
]

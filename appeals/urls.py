from django.urls import path

from . import views

app_name = "appeals"

urlpatterns = [
    path("decisions/", views.denial_list, name="denial_list"),
    path("decisions/<int:pk>/", views.denial_detail, name="denial_detail"),
    path("appeals/<int:pk>/rationale.pdf", views.rationale_download, name="rationale_download"),
    path("appeals/documents/<int:pk>/", views.document_download, name="document_download"),
]

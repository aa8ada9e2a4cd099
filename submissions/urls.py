from django.urls import path

from . import views

app_name = "submissions"

urlpatterns = [
    path("entries/", views.entry_list, name="entry_list"),
    path("entries/new/", views.entry_create, name="entry_create"),
    path("entries/preview/", views.entry_preview, name="entry_preview"),
    path("entries/<int:pk>/", views.entry_detail, name="entry_detail"),
    path("entries/<int:pk>/edit/", views.entry_edit, name="entry_edit"),
    path("entries/<int:pk>/withdraw/", views.entry_withdraw, name="entry_withdraw"),
    path("entries/<int:pk>/proof/", views.proof_upload, name="proof_upload"),
    path("proof/<int:pk>/", views.proof_download, name="proof_download"),
    path("certifications/<int:pk>/years/", views.year_list, name="year_list"),
    path("certifications/<int:pk>/years/<int:number>/", views.year_detail, name="year_detail"),
    path("certifications/<int:pk>/years/<int:number>/transcript.csv", views.transcript,
         {"fmt": "csv"}, name="transcript_csv"),
    path("certifications/<int:pk>/years/<int:number>/transcript.pdf", views.transcript,
         {"fmt": "pdf"}, name="transcript_pdf"),
]

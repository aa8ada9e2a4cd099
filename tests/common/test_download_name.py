"""The name a private download is saved under: whatever the holder's file was called, a header
that cannot break and a name without a folder."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from common.shortcuts import download_name
from submissions.models import ProofFile
from tests.factories import EntryFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize(("name", "saved_as"), [
    ("certificate.pdf", "certificate.pdf"),
    ("Mijn “bewijs”.pdf", "Mijn “bewijs”.pdf"),
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\hanna\\receipt.png", "receipt.png"),
    ("receipt\r\nSet-Cookie: x=1.pdf", "receiptSet-Cookie: x=1.pdf"),
    ("\x00\x1b.pdf", "pdf"),
    ("..", "download"),
    ("  ", "download"),
    ("", "download"),
])
def test_download_name_keeps_the_name_without_folders_or_control_characters(name, saved_as):
    assert download_name(name) == saved_as


@pytest.mark.django_db
def test_proof_with_a_line_break_in_its_name_downloads_as_an_attachment(client):
    entry = EntryFactory(activity_date=date(2025, 3, 1))
    proof = ProofFile.objects.create(entry=entry, file=SimpleUploadedFile("p.pdf", PDF),
                                     original_name="proof\r\nX-Evil: 1.pdf",
                                     content_type="application/pdf", size=len(PDF))
    client.force_login(entry.holder)

    response = client.get(reverse("submissions:proof_download", args=[proof.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="proofX-Evil: 1.pdf"'
    assert not response.has_header("X-Evil")

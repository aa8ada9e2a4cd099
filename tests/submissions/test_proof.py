from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from common.storage import private_storage
from submissions.models import ProofFile
from submissions.services import attach_proof
from tests.factories import EntryFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.mark.parametrize(("content", "content_type", "suffix"), [
    (PDF, "application/pdf", ".pdf"), (PNG, "image/png", ".png"), (JPEG, "image/jpeg", ".jpg")])
def test_attach_proof_stores_privately_under_a_generated_name(content, content_type, suffix):
    entry = EntryFactory()
    proof = attach_proof(entry=entry, upload=SimpleUploadedFile("../../My receipt.txt", content),
                         by=entry.holder)
    assert (proof.content_type, proof.size, proof.original_name) == (
        content_type, len(content), "My receipt.txt")
    stored = Path(proof.file.path)
    assert stored.suffix == suffix
    assert "receipt" not in stored.name
    assert stored.read_bytes() == content
    assert not stored.is_relative_to(Path(settings.MEDIA_ROOT))


@pytest.mark.parametrize(("name", "content", "message"), [
    ("fake.pdf", b"<html><script>alert(1)</script></html>", "PDF, PNG or JPEG"),
    ("empty.pdf", b"", "empty"),
    ("huge.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024 - 4), "at most 10.0"),
])
def test_attach_proof_refuses_wrong_files_and_stores_nothing(name, content, message):
    entry = EntryFactory()
    before = set(Path(private_storage().location).rglob("*.*"))
    with pytest.raises(ValidationError, match=message):
        attach_proof(entry=entry, upload=SimpleUploadedFile(name, content), by=entry.holder)
    assert ProofFile.objects.count() == 0
    assert set(Path(private_storage().location).rglob("*.*")) == before


def test_attach_proof_accepts_exactly_ten_megabytes():
    entry = EntryFactory()
    content = b"%PDF-" + b"0" * (10 * 1024 * 1024 - 5)
    proof = attach_proof(entry=entry, upload=SimpleUploadedFile("big.pdf", content),
                         by=entry.holder)
    assert proof.size == 10 * 1024 * 1024

"""Proof and appeal documents in S3-compatible object storage: a real S3 API (moto's server,
started here on a free loopback port), the private storage pointed at a bucket of its own as the
settings do when PRIVATE_STORAGE_BUCKET is set. Files go in and out only through the portal's
views; the bucket answers nobody without a signature; retention deletes the objects."""

import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from appeals.models import Appeal
from certifications.services import ensure_certification_years
from common.storage import private_storage
from cpe_portal.settings.base import private_files
from submissions.models import Denial, Entry, ProofFile
from submissions.review import reject_entry
from submissions.services import attach_proof
from tests.factories import (
    CertificationFactory,
    EntryFactory,
    UserFactory,
    activity,
    pdf_bytes,
    title,
)
from tests.s3 import KEYS, s3_client
from tests.staff import make_staff
from yearend.retention import purge_expired_proof

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PREFIX = "cpe-private"


@dataclass
class Bucket:
    name: str
    endpoint: str
    client: Any
    local_root: Path

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def plain_url(self, key: str) -> str:
        return f"{self.endpoint}/{self.name}/{key}"


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch) -> Bucket:
    """A new bucket, and the private storage in it as the settings make it from the
    environment (the names compose and production set)."""
    name = f"proof-{uuid.uuid4().hex[:12]}"
    for variable, value in {**KEYS, "AWS_S3_ENDPOINT_URL": s3_endpoint,
                            "PRIVATE_STORAGE_PREFIX": PREFIX}.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("AWS_S3_REGION_NAME", raising=False)
    client = s3_client(s3_endpoint)
    client.create_bucket(Bucket=name)
    local_root = Path(private_storage().location)
    settings.STORAGES = {**settings.STORAGES, "private": private_files(name)}
    return Bucket(name, s3_endpoint, client, local_root)


def _anonymous_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 — loopback
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# --- Settings -------------------------------------------------------------------------------

def test_private_files_in_a_bucket_are_private_signed_briefly_and_never_overwritten(
        monkeypatch):
    monkeypatch.setenv("PRIVATE_STORAGE_PREFIX", "/portal/")
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", "http://minio:9000")
    monkeypatch.delenv("AWS_S3_REGION_NAME", raising=False)

    backend = private_files("cpe-files")

    options = backend["OPTIONS"]
    assert backend["BACKEND"] == "storages.backends.s3.S3Storage"
    assert (options["bucket_name"], options["location"], options["endpoint_url"],
            options["region_name"]) == ("cpe-files", "portal", "http://minio:9000", "us-east-1")
    assert (options["default_acl"], options["file_overwrite"], options["querystring_auth"]) == (
        None, False, True)
    assert 0 < options["querystring_expire"] <= 300


def test_private_files_without_a_bucket_stay_in_a_local_folder():
    assert private_files("")["BACKEND"] == "django.core.files.storage.FileSystemStorage"


# --- Proof ----------------------------------------------------------------------------------

@pytest.fixture
def owner(client, practitioner):
    client.force_login(practitioner.holder)
    return practitioner.holder


@pytest.fixture
def june_2025():
    with time_machine.travel("2025-06-01 10:00 +02:00", tick=False):
        yield


@pytest.mark.usefixtures("june_2025")
def test_proof_logged_with_an_entry_is_an_object_in_the_bucket_and_not_on_disk(client, owner,
                                                                               bucket):
    response = client.post(reverse("submissions:entry_create"), {
        "activity_type": activity("attend-webinar").pk, "activity_date": "2025-05-20",
        "title": "Ransomware response", "provider": "SECO-Institute",
        "length_minutes": "90", "attended_minutes": "90", "relevance_confirmed": "on",
        "confirmed": "on", "proof": SimpleUploadedFile("Certificate.pdf", PDF)})

    assert response.status_code == 302
    proof = ProofFile.objects.get(entry=Entry.objects.get(holder=owner))
    key = f"{PREFIX}/{proof.file.name}"
    assert bucket.keys() == [key]
    assert bucket.read(key) == PDF
    assert not (bucket.local_root / proof.file.name).exists()
    assert not any(bucket.local_root.rglob(Path(proof.file.name).name))


@pytest.mark.usefixtures("june_2025")
def test_the_holder_downloads_proof_from_the_bucket_another_holder_gets_404(client, owner,
                                                                           bucket):
    entry = EntryFactory(holder=owner, activity_date=date(2025, 3, 1))
    proof = attach_proof(entry=entry, upload=SimpleUploadedFile("Mijn “bewijs”.pdf", PDF),
                         by=owner)
    url = reverse("submissions:proof_download", args=[proof.pk])
    assert bucket.keys() == [f"{PREFIX}/{proof.file.name}"]

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''Mijn%20%E2%80%9Cbewijs%E2%80%9D.pdf")
    assert (response["Content-Type"], response["Content-Length"]) == (
        "application/pdf", str(len(PDF)))
    assert (response["Cache-Control"], response["X-Content-Type-Options"]) == (
        "private, no-store", "nosniff")
    assert b"".join(response.streaming_content) == PDF
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def test_proof_in_the_bucket_is_refused_without_a_signature(owner, bucket):
    entry = EntryFactory(holder=owner, activity_date=date(2025, 3, 1))
    proof = attach_proof(entry=entry, upload=SimpleUploadedFile("cert.pdf", PDF), by=owner)
    key = f"{PREFIX}/{proof.file.name}"

    assert _anonymous_status(bucket.plain_url(key)) == 403
    signed = proof.file.url
    assert "X-Amz-Expires=60" in signed
    assert _anonymous_status(signed) == 200


@pytest.mark.usefixtures("june_2025")
def test_proof_missing_from_the_bucket_is_a_404(client, owner, bucket):
    entry = EntryFactory(holder=owner, activity_date=date(2025, 3, 1))
    proof = attach_proof(entry=entry, upload=SimpleUploadedFile("cert.pdf", PDF), by=owner)
    bucket.client.delete_object(Bucket=bucket.name, Key=f"{PREFIX}/{proof.file.name}")

    assert client.get(reverse("submissions:proof_download", args=[proof.pk])).status_code == 404


# --- Appeals --------------------------------------------------------------------------------

@pytest.fixture
def denial():
    certification = CertificationFactory(title=title("ISP"), awarded_on=date(2024, 3, 1))
    ensure_certification_years(today=date(2025, 4, 1), certifications=[certification])
    entry = EntryFactory(holder=certification.holder, activity_date=date(2025, 3, 10),
                         hours=Decimal("6"), claimed_credits=Decimal("6"), title="Cloud course")
    reject_entry(entry=entry, by=make_staff("Reviewer"), reason="Not relevant",
                 today=date(2025, 4, 1))
    return Denial.objects.get(entry=entry)


def test_an_appeal_keeps_its_files_in_the_bucket_for_the_holder_alone(client, denial, bucket):
    rationale = pdf_bytes()
    client.force_login(denial.holder)
    with time_machine.travel(date(2025, 4, 3), tick=False):
        filed = client.post(reverse("appeals:denial_detail", args=[denial.pk]), {
            "rationale_pdf": SimpleUploadedFile("why.pdf", rationale),
            "documents": [SimpleUploadedFile("certificate.pdf", PDF)]})
    appeal = Appeal.objects.get(denial=denial)
    document = appeal.documents.get()
    keys = [f"{PREFIX}/{appeal.rationale_pdf.name}", f"{PREFIX}/{document.file.name}"]
    urls = [reverse("appeals:rationale_download", args=[appeal.pk]),
            reverse("appeals:document_download", args=[document.pk])]

    downloads = [client.get(url) for url in urls]

    assert filed.status_code == 302
    assert bucket.keys() == sorted(keys)
    assert [bucket.read(key) for key in keys] == [rationale, PDF]
    assert [(d.status_code, d["Content-Disposition"]) for d in downloads] == [
        (200, 'attachment; filename="rationale.pdf"'),
        (200, 'attachment; filename="certificate.pdf"')]
    assert [b"".join(d.streaming_content) for d in downloads] == [rationale, PDF]
    assert [_anonymous_status(bucket.plain_url(key)) for key in keys] == [403, 403]
    client.force_login(UserFactory())
    assert [client.get(url).status_code for url in urls] == [404, 404]


# --- Retention ------------------------------------------------------------------------------

def test_the_retention_purge_deletes_the_object_and_a_second_run_changes_nothing(practitioner,
                                                                                 bucket):
    entry = EntryFactory(holder=practitioner.holder, activity_date=date(2025, 3, 1))
    proof = attach_proof(entry=entry, upload=SimpleUploadedFile("cert.pdf", PDF),
                         by=practitioner.holder)
    # Proof of a later year, still within retention.
    recent = EntryFactory(holder=practitioner.holder, activity_date=date(2027, 6, 1))
    kept = attach_proof(entry=recent, upload=SimpleUploadedFile("cert.pdf", PDF),
                        by=practitioner.holder)
    assert len(bucket.keys()) == 2

    first = purge_expired_proof(today=date(2028, 1, 1))
    keys_after_first = bucket.keys()
    second = purge_expired_proof(today=date(2028, 1, 1))

    assert (first.files, first.bytes, second.files) == (1, len(PDF), 0)
    assert f"{PREFIX}/{proof.file.name}" not in keys_after_first
    assert keys_after_first == [f"{PREFIX}/{kept.file.name}"]
    assert bucket.keys() == keys_after_first
    assert not ProofFile.objects.filter(pk=proof.pk).exists()

"""Backups, as an operator runs them: `manage.py backup_portal` and `restore_portal` in processes
of their own, on the real PostgreSQL server and a real S3 API (moto's server on loopback).
Back up, change the data, restore into a fresh database and a fresh bucket: every table's row
count, the stored standings and a proof's bytes are those of the backup."""

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.utils import timezone
from psycopg import sql

from certifications.services import ensure_certification_years
from common.storage import private_storage
from cpe_portal.backup import back_up
from cpe_portal.settings.base import private_files
from submissions.models import ProofFile
from submissions.services import EntryDetails, attach_proof, log_entry
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity
from tests.s3 import KEYS, s3_client
from tests.services import require
from yearend.retention import purge_expired_proof

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PREFIX = "cpe-private"
JUNE = date(2025, 6, 1)
ROOT = Path(__file__).resolve().parent.parent
STANDINGS = ["certifications_certificationyear", "submissions_yearcredit",
             "submissions_yearactivitytotal"]


def _url(name: str) -> str:
    database = connection.settings_dict
    return (f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{name}")


def _manage(*arguments: str, database: str, bucket: str, endpoint: str
            ) -> subprocess.CompletedProcess:
    """`manage.py` as an operator runs it: settings from the environment, the private
    storage in `bucket`."""
    environment = {**os.environ, **KEYS, "DJANGO_SETTINGS_MODULE": "cpe_portal.settings.local",
                   "DATABASE_URL": _url(database), "PRIVATE_STORAGE_BUCKET": bucket,
                   "AWS_S3_ENDPOINT_URL": endpoint, "PRIVATE_STORAGE_PREFIX": PREFIX}
    return subprocess.run([sys.executable, "manage.py", *arguments], cwd=ROOT,  # noqa: S603
                          env=environment, capture_output=True, text=True, timeout=120,
                          check=False)


def _row_counts(name: str) -> dict[str, int]:
    """Every table of the database and its exact row count."""
    with psycopg.connect(_url(name)) as database:
        tables = [row[0] for row in database.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' ORDER BY table_name")]
        return {table: database.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0]
            for table in tables}


def _standings_checksum(name: str) -> str:
    """md5 of every stored standings row (years, counted credits, activity totals), in order."""
    with psycopg.connect(_url(name)) as database:
        return "".join(database.execute(sql.SQL(
            "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {} t"
        ).format(sql.Identifier(table))).fetchone()[0] for table in STANDINGS)


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """A new, empty database on the same server, dropped after the test."""
    name = f"test_cpe_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_url("postgres"), autocommit=True) as server:
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(_url("postgres"), autocommit=True) as server:
            server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


@pytest.fixture
def buckets(s3_endpoint, settings, monkeypatch):
    """Two new buckets, the first the private storage of this process and of the backup."""
    for variable, value in {**KEYS, "AWS_S3_ENDPOINT_URL": s3_endpoint,
                            "PRIVATE_STORAGE_PREFIX": PREFIX}.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("AWS_S3_REGION_NAME", raising=False)
    client = s3_client(s3_endpoint)
    names = [f"portal-{uuid.uuid4().hex[:12]}" for _ in range(2)]
    for name in names:
        client.create_bucket(Bucket=name)
    settings.STORAGES = {**settings.STORAGES, "private": private_files(names[0])}
    return client, names


def _keys(client, bucket: str) -> list[str]:
    listing = client.list_objects_v2(Bucket=bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def _log(holder, title: str, hours: str):
    return log_entry(holder=holder, today=JUNE, form_token=None, details=EntryDetails.from_data({
        "activity_type": activity("other-course"), "activity_date": date(2025, 3, 1),
        "title": title, "hours": Decimal(hours), "relevance_confirmed": True}))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_restores_into_a_fresh_database_and_bucket_as_it_was(
        tmp_path, s3_endpoint, buckets, fresh_database, settings):
    client, (original_bucket, fresh_bucket) = buckets
    database = connection.settings_dict["NAME"]
    holders = [UserFactory(full_name="Hanna Holder"), UserFactory(full_name="Piet Practitioner")]
    certifications = [CertificationFactory(holder=holder) for holder in holders]
    ensure_certification_years(today=JUNE, certifications=certifications)
    entries = [_log(holders[0], "Threat modelling", "3"), _log(holders[0], "Cloud audit", "2"),
               _log(holders[1], "Incident drill", "4")]
    proof = attach_proof(entry=entries[0], upload=SimpleUploadedFile("cert.pdf", PDF),
                         by=holders[0])
    original_keys = _keys(client, original_bucket)
    assert original_keys == [f"{PREFIX}/{proof.file.name}"]
    counts, standings = _row_counts(database), _standings_checksum(database)
    assert counts["submissions_yearcredit"] == 3
    assert counts["submissions_prooffile"] == 1

    backup = tmp_path / "backup"
    made = _manage("backup_portal", str(backup), database=database, bucket=original_bucket,
                   endpoint=s3_endpoint)
    assert made.returncode == 0, made.stderr
    manifest = json.loads((backup / "manifest.json").read_text())
    assert [(f["key"], f["size"]) for f in manifest["files"]] == [(proof.file.name, len(PDF))]
    assert "Copied 1 private files" in made.stdout

    # After the backup: another entry moves the standings, and the proof object goes.
    _log(holders[1], "Red team exercise", "5")
    client.delete_object(Bucket=original_bucket, Key=original_keys[0])
    assert _row_counts(database) != counts
    assert _standings_checksum(database) != standings

    restored = _manage("restore_portal", str(backup), database=fresh_database,
                       bucket=fresh_bucket, endpoint=s3_endpoint)

    assert restored.returncode == 0, restored.stderr
    assert _row_counts(fresh_database) == counts
    assert _standings_checksum(fresh_database) == standings
    assert _keys(client, fresh_bucket) == original_keys
    with psycopg.connect(_url(fresh_database)) as restored_database:
        [(name,)] = restored_database.execute("SELECT file FROM submissions_prooffile").fetchall()
    settings.STORAGES = {**django_settings.STORAGES, "private": private_files(fresh_bucket)}
    with private_storage().open(name, "rb") as stored:
        assert stored.read() == PDF
    check = _manage("recount_standings", "--check", database=fresh_database,
                    bucket=fresh_bucket, endpoint=s3_endpoint)
    assert check.returncode == 0, check.stdout + check.stderr
    assert ProofFile.objects.filter(pk=proof.pk).exists()

    # A database that holds tables is refused, and so is a backup whose bytes changed.
    again = _manage("restore_portal", str(backup), database=fresh_database,
                    bucket=fresh_bucket, endpoint=s3_endpoint)
    assert again.returncode == 1
    assert "is not empty" in again.stderr
    (backup / "files" / name).write_bytes(PDF.replace(b"1.4", b"1.5"))
    damaged = _manage("restore_portal", str(backup), "--force", database=fresh_database,
                      bucket=fresh_bucket, endpoint=s3_endpoint)
    assert damaged.returncode == 1
    assert f"The backup's copy of {name} does not match" in damaged.stderr
    assert _row_counts(fresh_database) == counts


def test_a_backup_of_sqlite_is_refused_with_a_reason(tmp_path):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "cpe_portal.settings.local",
                   "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    done = subprocess.run([sys.executable, "manage.py", "backup_portal",  # noqa: S603
                           str(tmp_path / "backup")], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 1
    assert "Backups need PostgreSQL" in done.stderr
    assert not (tmp_path / "backup").exists()


class _HeldOpen(FileSystemStorage):
    """The private folder, whose reads wait until the test lets them go: a backup caught after
    its dump, before it has copied a file."""

    def __init__(self, location: str, copying: threading.Event, go_on: threading.Event) -> None:
        super().__init__(location=location)
        self.copying, self.go_on = copying, go_on

    def open(self, name: str, mode: str = "rb") -> File:
        self.copying.set()
        assert self.go_on.wait(60)
        return super().open(name, mode)


def _in_thread(work, results: dict, name: str) -> threading.Thread:
    def run() -> None:
        try:
            results[name] = work()
        except Exception as error:
            results[name] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _waiting_for_advisory_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND wait_event_type = 'Lock' AND wait_event = 'advisory'")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_purge_started_during_a_backup_waits_so_every_file_the_dump_names_is_backed_up(
        tmp_path):
    pg_restore = require(shutil.which("pg_restore"), "pg_restore")
    require(shutil.which("pg_dump"), "pg_dump")
    # An ISP year that ended on 28 February 2025: its proof is past retention in April 2026.
    certification = CertificationFactory(awarded_on=date(2024, 3, 1))
    ensure_certification_years(today=date(2025, 3, 31), certifications=[certification])
    entry = EntryFactory(holder=certification.holder, activity_date=date(2024, 7, 1))
    proof = ProofFile.objects.create(entry=entry, file=SimpleUploadedFile("p.pdf", PDF),
                                     original_name="p.pdf", content_type="application/pdf",
                                     size=len(PDF))
    copying, go_on, results = threading.Event(), threading.Event(), {}
    storage = _HeldOpen(private_storage().location, copying, go_on)
    backup = tmp_path / "backup"

    backing_up = _in_thread(lambda: back_up(backup, database=connection.settings_dict,
                                            storage=storage, now=timezone.now(),
                                            say=lambda line: None), results, "backup")
    try:
        assert copying.wait(60), results.get("backup")
        # The dump is written; the files are not copied yet. The nightly purge starts now.
        purging = _in_thread(lambda: purge_expired_proof(today=date(2026, 4, 1)), results,
                             "purge")
        for _ in range(200):
            if _waiting_for_advisory_locks():
                break
            time.sleep(0.05)
        assert _waiting_for_advisory_locks() == 1
        assert purging.is_alive()
        assert private_storage().exists(proof.file.name)
    finally:
        go_on.set()
        backing_up.join(timeout=60)
    purging.join(timeout=60)

    assert results["backup"].files >= 1, results
    assert results["purge"].files == 1, results
    manifest = json.loads((backup / "manifest.json").read_text())
    assert proof.file.name in {item["key"] for item in manifest["files"]}
    assert (backup / "files" / proof.file.name).read_bytes() == PDF
    named = subprocess.run([pg_restore, "--data-only", "--table=submissions_prooffile",  # noqa: S603
                            "--file=-", str(backup / "database.dump")],
                           capture_output=True, text=True, check=True).stdout
    assert proof.file.name in named
    # The purge ran once the backup was done.
    assert not ProofFile.objects.filter(pk=proof.pk).exists()
    assert not private_storage().exists(proof.file.name)


def test_the_image_carries_pg_dump_of_the_compose_servers_major_version():
    # No image is built here: the Dockerfile is read. The client must be the server's major
    # version or newer; the image installs exactly the server's.
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    [server] = re.findall(r"^  postgres:\n    image: postgres:(\d+)\b", compose, re.MULTILINE)
    [client] = re.findall(r"^ARG POSTGRES_MAJOR=(\d+)$", dockerfile, re.MULTILINE)
    assert server == client
    assert '"postgresql-client-${POSTGRES_MAJOR}"' in dockerfile

"""Production settings: refuse to start half-configured, pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from tests.services import credential_keys

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {
    "SECRET_KEY": "a-long-random-production-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "cpe.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/cpe_portal",
    "CPE_SITE_URL": "https://cpe.example.org",
    "CPE_CREDENTIAL_KEYS": credential_keys(),
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {*REQUIRED, "DEBUG"}}
    clean |= {"DJANGO_SETTINGS_MODULE": "cpe_portal.settings.production", **env}
    return subprocess.run(  # noqa: S603 — our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True,
        text=True, timeout=120, check=False,
    )


def test_production_settings_pass_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **REQUIRED)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_production_settings_refuse_to_start_without(missing):
    env = {k: v for k, v in REQUIRED.items() if k != missing}
    result = manage("check", **env)
    assert result.returncode != 0
    assert f"Set the {missing} environment variable." in result.stderr


def test_production_settings_security_headers():
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_CONTENT_TYPE_NOSNIFF, s.X_FRAME_OPTIONS, "
        "\"'unsafe-inline'\" in str(s.CONTENT_SECURITY_POLICY), s.DEBUG)"
    )
    result = manage("shell", "--no-imports", "-c", code, **REQUIRED)
    assert result.stdout.split() == ["31536000", "True", "True", "True", "True", "DENY", "False",
                                     "False"]


def test_settings_refuse_a_default_proof_deadline_past_the_longest():
    result = manage("check", **REQUIRED, CPE_PROOF_DEADLINE_DAYS="91")

    assert result.returncode != 0
    assert "CPE_PROOF_DEADLINE_DAYS must be more than 0 and at most" in result.stderr


@pytest.mark.django_db
def test_a_statement_a_connection_repeats_is_prepared_once_and_planned_from_then_on():
    sql = "SELECT count(*) FROM accounts_user WHERE id > %s"
    with connection.cursor() as cursor:
        for _ in range(8):
            cursor.execute(sql, [0])
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
                       ["%FROM accounts_user WHERE id > $1"])
        prepared = cursor.fetchall()

    assert prepared == [("SELECT count(*) FROM accounts_user WHERE id > $1",)]


def test_production_settings_refuse_the_development_key_for_a_public_domain():
    result = manage("check", **(REQUIRED | {"CPE_CREDENTIAL_KEYS": "development"}))

    assert result.returncode != 0
    assert ("CPE_CREDENTIAL_KEYS=development is the public development key: it signs only for "
            "localhost.") in result.stderr


def test_production_settings_take_the_development_key_on_this_machine():
    result = manage("check", **(REQUIRED | {"CPE_CREDENTIAL_KEYS": "development",
                                            "CPE_SITE_URL": "http://localhost:8000"}))

    assert result.returncode == 0, result.stderr


def test_production_settings_refuse_keys_that_cannot_sign():
    result = manage("check", **(REQUIRED | {"CPE_CREDENTIAL_KEYS": '{"keys": [{"kty": "RSA"}]}'}))

    assert result.returncode != 0
    assert "Key 1 of CPE_CREDENTIAL_KEYS is not an Ed25519 key" in result.stderr

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import override_settings

from accounts.models import User

from .factories import PASSWORD, CertificationFactory, UserFactory
from .s3 import s3_server
from .services import RedisServer
from .staff import add_totp, sign_in


@pytest.fixture
def holder(db):
    return UserFactory(full_name="Hanna Holder")


@pytest.fixture
def practitioner(holder):
    """A holder's Information Security Practitioner certification, awarded 2024-01-01."""
    return CertificationFactory(holder=holder)


@pytest.fixture(scope="session", autouse=True)
def _private_media(tmp_path_factory):
    """The run's private files in a temporary folder of their own. For the whole session: a
    module's shared fixture stores files that its tests read back."""
    private = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tmp_path_factory.mktemp("private"), "base_url": None},
    }
    with override_settings(STORAGES={**django_settings.STORAGES, "private": private}):
        yield


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory) -> Iterator[str]:
    """moto's S3 server on a free loopback port, for this module; stopped at its end."""
    with s3_server(tmp_path_factory.mktemp("moto") / "server.log") as endpoint:
        yield endpoint


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A redis-server of the test's own on a free port, stopped at its end."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def superuser(db) -> User:
    """A superuser with a TOTP authenticator (staff reach the admin only with one)."""
    user = User.objects.create_superuser("admin@example.com", PASSWORD, full_name="Ada Admin")
    add_totp(user)
    return user


@pytest.fixture
def admin_client(client, superuser):
    """The test client signed in as the superuser, past the second factor."""
    return sign_in(client, superuser)


@pytest.fixture
def csv_file(tmp_path: Path):
    """Write a CSV file (text, or raw bytes) under tmp_path and return its path."""

    def _write(content: str | bytes, name: str = "upload.csv") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write

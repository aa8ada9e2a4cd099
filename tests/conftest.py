import pytest

from .factories import CertificationFactory, UserFactory


@pytest.fixture
def holder(db):
    return UserFactory(full_name="Hanna Holder")


@pytest.fixture
def practitioner(holder):
    """A holder's Information Security Practitioner certification, awarded 2024-01-01."""
    return CertificationFactory(holder=holder)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }

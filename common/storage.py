"""Private files (proof, appeal documents): stored outside the public media folder under names
the portal generates, so nothing a holder typed ends up in a path."""

import uuid
from pathlib import PurePosixPath
from typing import Any, cast

from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.db.models import Model
from django.dispatch import receiver
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.functional import LazyObject, empty


class _PrivateStorage(LazyObject):
    """`STORAGES["private"]`, looked up when first used and again after the setting changes.
    A FileField keeps the storage it was given when its model class was made: this stands in
    for the configured one (a folder, or a bucket of object storage), as Django's
    `default_storage` does for the default."""

    def _setup(self) -> None:
        self._wrapped = storages["private"]


_private = _PrivateStorage()


@receiver(setting_changed)
def _forget_private_storage(*, setting: str, **kwargs: Any) -> None:
    if setting == "STORAGES":
        _private._wrapped = empty


def private_storage() -> Storage:
    """The storage for files only their owner and staff may read; never served by URL."""
    return cast(Storage, _private)


@deconstructible
class GeneratedName:
    """`upload_to` for private files: `<folder>/<year>/<month>/<random hex><suffix>`, keeping
    only the (lower-cased, at most four letters) suffix of the name the file came with."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __call__(self, instance: Model, filename: str) -> str:
        suffix = PurePosixPath(filename).suffix.lower()[:5]
        return f"{self.folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GeneratedName) and other.folder == self.folder

    def __hash__(self) -> int:
        return hash(self.folder)

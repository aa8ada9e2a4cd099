"""Private files (proof, appeal documents): stored outside the public media folder under names
the portal generates, so nothing a holder typed ends up in a path."""

import uuid
from pathlib import PurePosixPath

from django.core.files.storage import Storage, storages
from django.db.models import Model
from django.utils import timezone
from django.utils.deconstruct import deconstructible


def private_storage() -> Storage:
    """The storage for files only their owner and staff may read; never served by URL."""
    return storages["private"]


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

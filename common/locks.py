"""One runner at a time for the scheduled jobs."""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


def _key(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big",
                          signed=True)


@contextmanager
def job_lock(name: str) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock named `name` for the duration: a second run of the same
    job waits until the first ends (and then finds its work done). The lock belongs to the
    database session, so a runner that dies releases it with its connection. Other databases
    (SQLite, for `make run`) have one writer at a time anyway and take no lock."""
    if connection.vendor != "postgresql":
        yield
        return
    key = _key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])

"""What the scheduled jobs share: one runner at a time, the day they run as, and their
management commands."""

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from itertools import groupby
from typing import TypeVar

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection
from django.utils import timezone

T = TypeVar("T")

# What a scheduled daily job returns, and its log line says, when its work for the day was done
# by an earlier run (`accounts.daily.once_a_day`).
ALREADY_DONE = "already done"


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


def job_day(today: str | None) -> date:
    """The day a task runs as: the ISO date it was given, or today where the portal is."""
    return date.fromisoformat(today) if today else timezone.localdate()


class JobCommand(BaseCommand):
    """A scheduled job as an operator runs it: `--date` runs it as of another day. Subclasses
    say what they did in the line `run` returns."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat,
                            help="Run as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(self.run(today=options["date"] or timezone.localdate(), **options))

    def run(self, *, today: date, **options: object) -> str:
        raise NotImplementedError


def batches_by_holder(rows: Iterable[T], holder: Callable[[T], object],
                      size: int) -> Iterator[list[list[T]]]:
    """Rows ordered by holder, grouped per holder, `size` holders at a time: a batch job's
    committed unit, so that a holder's rows are never split between two batches."""
    batch: list[list[T]] = []
    for _holder, group in groupby(rows, key=holder):
        batch.append(list(group))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch

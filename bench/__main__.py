"""Benchmarks: `make bench`. Builds a throw-away PostgreSQL database, fills it, measures, drops it.

Measured: the status selector against the entries a holder has (queries and time), logging an
entry (which locks the holder and re-counts), and the daily job that opens certification years
over many certifications (queries and time).
"""

import os
import statistics
import time
from collections.abc import Callable
from datetime import date

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cpe_portal.settings.test")
django.setup()

from django.db import connection  # noqa: E402

from bench.data import add_entries, make_holders  # noqa: E402

TODAY = date(2025, 11, 1)


def measure(call: Callable[[], object], repeat: int = 30) -> tuple[int, float]:
    executed: list[str] = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return len(executed), statistics.median(times)


def main() -> None:
    from activities.models import ActivityType
    from certifications.services import ensure_certification_years
    from submissions.selectors import certification_standings
    from submissions.services import EntryDetails, log_entry

    print("| what | size | queries | median ms |")
    print("|---|---:|---:|---:|")
    for size in (1, 50, 200, 1000):
        [holder] = make_holders(1, prefix=f"standing{size}-")
        add_entries(holder, size, start=date(2024, 12, 1))
        queries, ms = measure(lambda h=holder: certification_standings(holder=h, today=TODAY))
        print(f"| certification_standings | {size} entries | {queries} | {ms:.2f} |")

    from django.test import Client

    client = Client()
    for size in (1, 50, 200, 1000):
        [holder] = make_holders(1, prefix=f"pages{size}-")
        add_entries(holder, size, start=date(2024, 12, 1))
        client.force_login(holder)
        for name, url in (("dashboard", "/"), ("entry list", "/entries/")):
            assert client.get(url).status_code == 200, url
            queries, ms = measure(lambda u=url: client.get(u), repeat=10)
            print(f"| {name} page | {size} entries | {queries} | {ms:.2f} |")

    [holder] = make_holders(1, prefix="logger-")
    # Earlier years' entries: the lock and the count read past them.
    add_entries(holder, 200, start=date(2023, 1, 1))
    course = ActivityType.objects.get(code="other-course")
    first = holder.certifications.order_by("awarded_on").first()
    day = max(first.awarded_on, date(2025, 10, 1))

    def log() -> None:
        log_entry(holder=holder, today=TODAY, details=EntryDetails.from_data({
            "activity_type": course, "activity_date": day, "title": "Bench", "hours": 1,
            "relevance_confirmed": True}))

    queries, ms = measure(log, repeat=30)
    print(f"| log_entry | holder with 200 entries | {queries} | {ms:.2f} |")

    for size in (1000, 10000):
        make_holders(size // 2, prefix=f"years{size}-")
        created: list[int] = []
        queries, ms = measure(
            lambda c=created: c.append(ensure_certification_years(today=TODAY)), repeat=1)
        print(f"| ensure_certification_years | {size} certifications, {created[0]} years new | "
              f"{queries} | {ms:.0f} (second run) |")


if __name__ == "__main__":
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host, locmem mail
    old_name = connection.settings_dict["NAME"]
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

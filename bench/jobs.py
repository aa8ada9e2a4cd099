"""In-process timings of the jobs that run over every certification, not behind a page: the
daily job that opens certification years, and rebuilding the stored standings."""

import io
import time
from collections.abc import Callable
from datetime import date

from django.core.management import call_command
from django.db import connection

from certifications.models import Certification
from certifications.services import ensure_certification_years
from submissions.models import Entry

from .data import Award, make_holders
from .report import progress, table

HOLDERS = 5_000
# Two certifications each, awarded over the last five years: 10,000 certifications.
AWARD_GROUPS = [(Award("ISP", 200 + 97 * i), Award("DPE", 100 + 61 * i)) for i in range(20)]


def _timed(call: Callable[[], object]) -> tuple[object, int, float]:
    executed: list[str] = []

    def counting(execute: Callable[..., object], sql: str, params: object, many: bool,
                 context: dict[str, object]) -> object:
        executed.append(sql)
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(counting):
        value = call()
    return value, len(executed), time.perf_counter() - started


def run(*, today: date) -> str:
    progress(f"jobs: {HOLDERS * 2:,} more certifications")
    per_group = HOLDERS // len(AWARD_GROUPS)
    for number, awards in enumerate(AWARD_GROUPS):
        make_holders(per_group, prefix=f"jobs-{number}-", awards=awards, today=today)
    certifications = Certification.objects.count()
    rows = []
    for attempt in ("first run", "second run"):
        created, queries, seconds = _timed(lambda: ensure_certification_years(today=today))
        rows.append([f"ensure_certification_years, {attempt}",
                     f"{certifications:,} certifications, {created:,} years new",
                     str(queries), f"{seconds:.2f}"])
    _value, queries, seconds = _timed(lambda: call_command(
        "recount_standings", "--date", today.isoformat(), stdout=io.StringIO()))
    rows.append(["recount_standings (rebuild, nothing to change)",
                 f"{Entry.objects.count():,} entries", str(queries), f"{seconds:.2f}"])
    return "### Jobs (in process)\n\n" + table(["job", "size", "queries", "seconds"], rows,
                                                right_from=2) + "\n"

"""The admin benchmark: staff pages over big tables (a million entries, 100,000 holders), through
gunicorn with production settings, signed in as a superuser.

The data goes in with set-based SQL from a seed: holders, their certifications and a million
entries, whose claimed credits come from a few dozen variants computed with the catalogue's own
rule functions. The entries go in without their history rows and state changes (a plain bulk
insert, as a migration of old data would): the pages measured here read neither.

The stored standings the holders overview reads (each certification year's counted credits) are
set by one set-based statement, `data.fill_standings`: the sum of the year's counting entries up
to the annual submission cap, with the activities' annual caps left out. `recount_standings`
would apply every rule, but over a million entries it takes more than ten minutes on two cores,
and the pages measured here read only the years' totals.

The superuser signs in with a session that passed two-factor sign-in (`staff_session_for`), as
the admin requires of staff.
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import connection

from accounts.models import User
from certifications.enums import CertificationStatus, YearState

from . import wrk
from .data import HISTORY_MIX, claim_variants, insert_certifications, insert_entries, insert_holders
from .report import Target, count, ms, progress, table
from .server import HTTPS_HEADERS, Server, get, staff_session_for, tail

HOLDERS = 100_000
ENTRIES = 1_000_000
EMAIL_PREFIX = "admin-"
# Titles with a CPE requirement, of every level that has one.
TITLES = ("ISP", "DPP", "ITSP", "SOC-CA", "ISE", "DPE", "EHE", "CISO", "CBCO")
VARIANTS = 60
P95_TARGET_MS = 1_000
# Staff are few: one connection per gunicorn worker, so that a page's latency is its own, not
# the wait behind other requests in a queue.
THREADS, CONNECTIONS, WARM_UP_SECONDS = 1, 2, 2
LATENCY_SCRIPT = Path(__file__).with_name("latency.lua")
# Entry admin columns, for the `o=` sort parameter: the 9th is logged_at.
PAGES = (
    ("trivial signed-in page", "/bench/signed-in/"),
    ("review queue (opens the entries list)", "/admin/submissions/entry/"),
    ("all entries, newest logged first", "/admin/submissions/entry/?decision=all"),
    ("all entries waiting for approval",
     "/admin/submissions/entry/?decision=all&state__exact=pending_approval"),
    ("holders overview", "/admin/submissions/holder/"),
    ("holders overview, at risk", "/admin/submissions/holder/?standing=at_risk"),
    ("holders overview, search", "/admin/submissions/holder/?q=holder%2012345"),
    ("compliance summary", "/admin/submissions/holder/summary/"),
)


@dataclass(frozen=True)
class Measured:
    page: str
    path: str
    result: wrk.WrkResult

    def percentile(self, name: str) -> float:
        """A percentile the Lua script printed, in milliseconds."""
        return int(self.result.script[name]) / 1000


def make_data(*, today: date) -> User:
    """100,000 holders with one or two certifications (some decertified) and a million entries
    in every state over the last two years; returns the superuser who signs in."""
    insert_holders(prefix=EMAIL_PREFIX, count=HOLDERS)
    # Award dates over the last five years; every seventh holder holds a second title; one
    # certification in 25 was decertified a year after its award.
    insert_certifications(prefix=EMAIL_PREFIX, titles=TITLES, today=today, second_every=7,
                          newest_days=30, span_days=1800, decertified_every=25)
    insert_entries(prefix=EMAIL_PREFIX, count=ENTRIES, today=today, days=730,
                   variants=claim_variants(mix=HISTORY_MIX, count=VARIANTS, seed=7), seed=0.42)
    return User.objects.create_superuser("bench-admin@bench.example", None,
                                         full_name="Bench Admin")


def hold_years(*, today: date) -> int:
    """Hold, as the close would, the years of active certifications past their deadline short
    of the requirement with credits awaiting a decision, so that the review queue sorts their
    entries first and counts their days held. Returns how many years are held."""
    with connection.cursor() as cursor:
        cursor.execute("""
            UPDATE certifications_certificationyear y
            SET state = %s, held_since = y.deadline + 1
            FROM certifications_certification c
            WHERE c.id = y.certification_id AND c.status = %s AND y.state = %s
              AND y.deadline < %s AND y.counted_credits < y.required_credits
              AND y.undecided_credits > 0
        """, [YearState.WAITING, CertificationStatus.ACTIVE, YearState.OPEN, today])
        held = cursor.rowcount
        # As the close does after it moves years' states.
        cursor.execute("ANALYZE certifications_certificationyear")
        return held


def run(*, staff: User, environment: dict[str, str], log: Path,
        seconds: float) -> tuple[str, list[Target]]:
    cookie = staff_session_for(staff)
    headers = {"Cookie": f"sessionid={cookie}", **HTTPS_HEADERS}
    measured = []
    with Server(environment=environment, log=log) as server:
        for page, path in PAGES:
            url = server.url + path
            status, _headers, body = get(url, cookies={"sessionid": cookie})
            # The admin's user tools show only to the signed-in staff member.
            signed_in = body == "ok" if path.startswith("/bench/signed-in") else (
                'id="user-tools"' in body)
            if status != 200 or not signed_in:
                raise RuntimeError(f"{path} as the superuser: {status}, not the signed-in "
                                   f"page:\n{body[:2000]}\n{tail(log)}")
            options = {"threads": THREADS, "connections": CONNECTIONS, "headers": headers,
                       "script": LATENCY_SCRIPT}
            progress(f"admin: {page} ({seconds:g} s)")
            wrk.run(url, seconds=WARM_UP_SECONDS, **options)
            measured.append(Measured(page, path, wrk.run(url, seconds=seconds, **options)))
        server_log = tail(log)
    return _report(measured, seconds=seconds, server_log=server_log)


def _report(measured: list[Measured], *, seconds: float,
            server_log: str) -> tuple[str, list[Target]]:
    rows = [[m.page, f"`{m.path}`", count(m.result.requests_per_second),
             ms(m.percentile("p50")), ms(m.percentile("p90")), ms(m.percentile("p95")),
             ms(m.percentile("p99")), m.result.describe_errors()] for m in measured]
    text = table(["page", "path", "req/s", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "errors"],
                 rows, right_from=2)
    text = (f"### Admin over {ENTRIES:,} entries and {HOLDERS:,} holders "
            f"(wrk -t{THREADS} -c{CONNECTIONS} -d{seconds:g}s)\n\n{text}\n")
    targets = [Target(f"{m.page} p95 under {P95_TARGET_MS:,} ms",
                      m.percentile("p95") < P95_TARGET_MS, f"{ms(m.percentile('p95'))} ms")
               for m in measured]
    errors = sum(m.result.errors for m in measured)
    targets.append(Target("no errors on the admin pages (non-2xx/3xx, socket errors, timeouts)",
                          errors == 0, f"{errors} errors"))
    if errors:
        text += f"\nServer log, last lines:\n\n```\n{server_log}\n```\n"
    return text, targets


def sizes() -> str:
    """What the benchmark database holds, for the report."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM submissions_entry),"
                       " (SELECT count(*) FROM accounts_user WHERE email LIKE %s),"
                       " (SELECT count(*) FROM certifications_certification),"
                       " (SELECT count(*) FROM certifications_certificationyear)",
                       [f"{EMAIL_PREFIX}%"])
        entries, holders, certifications, years = cursor.fetchone()
    return (f"{entries:,} entries, {holders:,} holders, {certifications:,} certifications, "
            f"{years:,} certification years")


"""The admin benchmark: staff pages over big tables (a million entries, 100,000 holders), through
gunicorn with production settings, signed in as a superuser.

The data goes in with set-based SQL from a seed: holders, their certifications and a million
entries, whose claimed credits come from a few dozen variants computed with the catalogue's own
rule functions. The entries go in without their history rows and state changes (a plain bulk
insert, as a migration of old data would): the pages measured here read neither.

The stored standings the holders overview reads (each certification year's counted credits) are
set by one set-based statement, `fill_standings`: the sum of the year's counting entries up to
the annual submission cap, with the activities' annual caps left out. `recount_standings` would
apply every rule, but over a million entries it takes more than ten minutes on two cores, and
the pages measured here read only the years' totals.

The superuser signs in with a session that passed two-factor sign-in (`staff_session_for`), as
the admin requires of staff.
"""

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import connection

from accounts.models import User
from activities.models import ActivityType
from activities.rules import earned_credits
from certifications.models import CertificationTitle
from certifications.services import ensure_certification_years
from submissions.enums import COUNTING_STATES, EntryState

from . import wrk
from .data import HISTORY_MIX, _inputs
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
# Entry admin columns, for the `o=` sort parameter: the 8th is logged_at.
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


def _variants(seed: int) -> list[tuple]:
    """Entries as the log form would make them: (activity type id, hours, length, attended,
    quantity, proposed, claimed, needs approval), with credits from the catalogue's rules."""
    rng = random.Random(seed)
    types = {a.code: a for a in ActivityType.objects.filter(code__in=list(HISTORY_MIX))}
    codes = [code for code, weight in HISTORY_MIX.items() for _ in range(weight)]
    variants = []
    for _ in range(VARIANTS):
        activity_type = types[rng.choice(codes)]
        inputs = _inputs(rng, activity_type)
        kept = inputs.kept_for(activity_type.rule)
        claimed = earned_credits(activity_type.rule, inputs).credits
        if claimed <= 0:
            continue
        variants.append((activity_type.pk, kept.hours, kept.length_minutes,
                         kept.attended_minutes, kept.quantity, kept.proposed_credits, claimed,
                         activity_type.needs_approval))
    return variants


def _sql_value(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    raise TypeError(value)


def make_data(*, today: date) -> User:
    """100,000 holders with one or two certifications (some decertified) and a million entries
    in every state over the last two years; returns the superuser who signs in."""
    titles = [CertificationTitle.objects.get(code=code).pk for code in TITLES]
    variants = _variants(seed=7)
    values = ", ".join(
        "(" + ", ".join([str(index), *(_sql_value(v) for v in variant)]) + ")"
        for index, variant in enumerate(variants))
    # The states of a history: most entries count, some wait, some were turned down.
    states = {state.name: state.value for state in EntryState}
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        cursor.execute("""
            INSERT INTO accounts_user (password, email, full_name, is_staff, is_active,
                                       is_superuser, date_joined, records_version)
            SELECT '!', %s || g || '@bench.example', 'Bench Holder ' || g, false, true, false,
                   now(), 0
            FROM generate_series(1, %s) g
        """, [EMAIL_PREFIX, HOLDERS])
        # Award dates over the last five years; every seventh holder holds a second title; one
        # certification in 25 was decertified a year after its award.
        cursor.execute(f"""
            INSERT INTO certifications_certification
                (holder_id, title_id, awarded_on, status, decertified_on, badge_id, created_at)
            SELECT u.id, t.title_id, t.awarded_on,
                   CASE WHEN t.decertified THEN 'decertified' ELSE 'active' END,
                   CASE WHEN t.decertified THEN t.awarded_on + 400 END,
                   gen_random_uuid(), now()
            FROM accounts_user u
            CROSS JOIN LATERAL (
                SELECT (ARRAY{titles})[1 + mod(u.id * 7 + n * 3, {len(titles)})] AS title_id,
                       %s::date - (30 + mod(u.id * 37 + n * 211, 1800))::int AS awarded_on,
                       mod(u.id + n, 25) = 0 AND mod(u.id * 37 + n * 211, 1800) > 430
                           AS decertified
                FROM generate_series(0, CASE WHEN mod(u.id, 7) = 0 THEN 1 ELSE 0 END) n
            ) t
            WHERE u.email LIKE %s
        """, [today, f"{EMAIL_PREFIX}%"])  # noqa: S608 (our own numbers)
        # A million entries, dated over the last two years, logged within two weeks of the
        # activity; holders drawn at random, so some have many and some none.
        cursor.execute(f"""
            WITH variant (idx, activity_type_id, hours, length_minutes, attended_minutes,
                          quantity, proposed_credits, claimed_credits, needs_approval)
                AS (VALUES {values}),
            holders AS (SELECT min(id) AS first, count(*) AS n FROM accounts_user
                        WHERE email LIKE %s),
            drawn AS (
                SELECT e, h.first + floor(random() * h.n)::bigint AS holder_id,
                       floor(random() * {len(variants)})::int AS idx,
                       %s::date - floor(random() * 730)::int AS activity_date,
                       floor(random() * 14)::int AS late, random() AS fate
                FROM generate_series(1, %s) e CROSS JOIN holders h
            )
            INSERT INTO submissions_entry
                (holder_id, activity_type_id, activity_date, title, provider, description,
                 hours, length_minutes, attended_minutes, quantity, proposed_credits,
                 claimed_credits, approved_credits, state, relevance_confirmed, logged_at,
                 reported_on, updated_at)
            SELECT d.holder_id, v.activity_type_id, d.activity_date, 'Bench activity ' || d.e,
                   'Bench Academy', '', v.hours, v.length_minutes, v.attended_minutes,
                   v.quantity, v.proposed_credits, v.claimed_credits, NULL,
                   CASE WHEN v.needs_approval THEN
                            CASE WHEN d.fate < 0.70 THEN '{states["APPROVED"]}'
                                 WHEN d.fate < 0.85 THEN '{states["PENDING_APPROVAL"]}'
                                 WHEN d.fate < 0.93 THEN '{states["REJECTED"]}'
                                 ELSE '{states["WITHDRAWN"]}' END
                        ELSE
                            CASE WHEN d.fate < 0.86 THEN '{states["SUBMITTED"]}'
                                 WHEN d.fate < 0.89 THEN '{states["APPROVED"]}'
                                 WHEN d.fate < 0.92 THEN '{states["PROOF_REQUESTED"]}'
                                 WHEN d.fate < 0.96 THEN '{states["REJECTED"]}'
                                 ELSE '{states["WITHDRAWN"]}' END
                   END,
                   true,
                   LEAST(d.activity_date + d.late + interval '9 hours', now()),
                   LEAST(d.activity_date + d.late, %s::date),
                   now()
            FROM drawn d JOIN variant v ON v.idx = d.idx
        """, [f"{EMAIL_PREFIX}%", today, ENTRIES, today])  # noqa: S608 (our own constants)
    return User.objects.create_superuser("bench-admin@bench.example", None,
                                         full_name="Bench Admin")


def fill_standings(*, today: date) -> None:
    """Lay the certification years, then set each year's counted credits (see the module
    docstring) and analyze the tables, as autovacuum would soon."""
    ensure_certification_years(today=today)
    counting = ", ".join(f"'{state}'" for state in sorted(COUNTING_STATES))
    with connection.cursor() as cursor:
        cursor.execute(f"""
            UPDATE certifications_certificationyear y SET counted_credits = LEAST(
                s.total, y.required_credits * 2)
            FROM (
                SELECT y.id, SUM(COALESCE(e.approved_credits, e.claimed_credits)) AS total
                FROM certifications_certificationyear y
                JOIN certifications_certification c ON c.id = y.certification_id
                JOIN submissions_entry e ON e.holder_id = c.holder_id
                     AND e.activity_date BETWEEN y.starts_on AND y.ends_on
                     AND e.reported_on <= y.deadline AND e.state IN ({counting})
                WHERE y.required_credits > 0
                GROUP BY y.id
            ) s
            WHERE y.id = s.id
        """)  # noqa: S608 (our own state constants)
        cursor.execute("VACUUM ANALYZE")


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


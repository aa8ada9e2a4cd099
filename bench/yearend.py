"""The year-end benchmark: the close of certification years and the reminder sweep over 100,000
holders, each timed against a hand-written set-based SQL baseline that computes the same outcome
on the same data in the same run, in process, on a database of its own.

The data goes in with the set-based generators of `bench/data.py`, from a seed: 100,000 holders,
150,000 certifications of every title (Foundation titles too), awarded on every day of the year
between 13 months and four years ago, and 1,000,000 entries over the last three years in the
states of a history, SECO courses among them; the certification years are laid and their stored
standings (counted and undecided credits) set by `fill_standings`; one in eight rejected entries
of the last eighteen months is under an appeal not decided yet. Then the same generator makes a
data set of one tenth (10,000 holders, 15,000 certifications, 100,000 entries) on a database of
its own.

The runs (`SCENARIOS`), on today's date:
- the close of the years due on one day: the years whose deadline was yesterday (about 400);
  earlier years were closed by earlier runs;
- the close of a year of deadlines: every year whose deadline fell in the last 365 days is open
  (about 150,000, one per certification), a year's backlog;
- the reminder sweep of one day: the reminders of earlier days went out, so today's are those
  whose 90, 30 or 7 days before the deadline is today, and the proof requests due in 7 days;
- the reminder sweep with 90 days' worth due: none went out yet.

The baselines: for the close, one transaction of set-based statements (the missing years laid,
each due year judged into a temporary table, then the years' states, the certifications
decertified, their history rows, the denials, the messages with the same contexts, the holders'
records versions); for the reminders, one INSERT of the messages per holder and of the Reminder
rows for the years, one for the proof requests.

Each run starts from the same data: one reset (a few statements) puts the years' states, the
certifications, denials, history, outbox and reminders back where the run expects them, and
vacuums what it changed; then the baseline runs, the reset again, then the job. Both outcomes are
read back from the database (years by state, decertifications, denials, history rows, messages
with their contexts, reminders) and must be equal.
"""

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import ModuleType

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.urls import reverse
from psycopg import sql

from appeals.enums import OPEN_APPEAL_STATES, AppealState
from certifications.enums import CLOSED_YEAR_STATES, CertificationStatus, YearState
from certifications.models import CertificationTitle
from submissions import reminders
from submissions.enums import COUNTING_STATES, UNDECIDED_STATES, DenialKind, EntryState
from yearend import closing

from .data import (
    HISTORY_MIX,
    claim_variants,
    fill_standings,
    insert_certifications,
    insert_entries,
    insert_holders,
)
from .report import Target, count, progress, ratio, table

HOLDERS = 100_000
ENTRIES = 1_000_000
EMAIL_PREFIX = "yearend-"
# Sizes: the full data set and one tenth of it, from the same generator.
SCALES = (10, 1)
# Every other holder holds a second title: 150,000 certifications.
SECOND_EVERY = 2
# Awarded on every day of the year, between 13 months and four years ago: every certification
# has one year whose deadline fell in the last 365 days, and two to five years laid.
NEWEST_DAYS, SPAN_DAYS = 400, 1095
ENTRY_DAYS = 1095
# The history's mix with SECO courses (20 to 40 credits at once), so that most years are met
# with the three or so entries a holder logs in a year: about 70 % of the years that require
# CPE are met, 1 % held, the rest short.
YEAR_END_MIX = {**HISTORY_MIX, "seco-practitioner-course": 50, "seco-expert-course": 50,
                "seco-foundation-course": 20}
VARIANTS = 60
# One in this many rejected entries of the last APPEAL_DAYS is under an appeal not decided yet.
APPEAL_EVERY, APPEAL_DAYS = 8, 545
RATIO_TARGET = 5
SCALING_TARGET = 15


@dataclass(frozen=True)
class Scenario:
    name: str
    job: str  # "close" or "reminders"
    # Years whose deadline is before this many days before today were closed by earlier runs.
    closed_days: int
    # Whether the reminders of the days before went out.
    reminded: bool = False


SCENARIOS = (
    Scenario("close, the years due on one day", "close", closed_days=1),
    Scenario("close, a year of deadlines", "close", closed_days=365),
    Scenario("reminders, one day", "reminders", closed_days=0, reminded=True),
    Scenario("reminders, 90 days' worth", "reminders", closed_days=0),
)


@dataclass
class Timed:
    seconds: float
    queries: int
    sql_seconds: float
    # Queries per committed batch, by the function that commits it.
    batches: dict[str, list[int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    counts: dict[str, int]
    fingerprint: str


@dataclass(frozen=True)
class Measured:
    scenario: Scenario
    size: str
    due: int
    start: Outcome
    job: Timed
    baseline: Timed
    job_outcome: Outcome
    baseline_outcome: Outcome

    @property
    def ratio(self) -> float:
        return self.job.seconds / self.baseline.seconds

    @property
    def agree(self) -> bool:
        return self.job_outcome == self.baseline_outcome

    def flat(self) -> bool:
        return all(len(set(queries)) <= 1 for queries in self.job.batches.values())

    def describe_batches(self) -> str:
        parts = []
        for name, queries in self.job.batches.items():
            if not queries:
                continue
            spread = (str(queries[0]) if min(queries) == max(queries)
                      else f"{min(queries)}–{max(queries)}")
            parts.append(f"{len(queries):,} × {spread}" + (" (proof)" if "proof" in name else ""))
        return ", ".join(parts) or "none"


# --- Data --------------------------------------------------------------------------------------

def make_data(*, today: date, scale: int) -> None:
    """One `scale`-th of the full data set (see the module docstring)."""
    titles = list(CertificationTitle.objects.order_by("code").values_list("code", flat=True))
    insert_holders(prefix=EMAIL_PREFIX, count=HOLDERS // scale)
    insert_certifications(prefix=EMAIL_PREFIX, titles=titles, today=today,
                          second_every=SECOND_EVERY, newest_days=NEWEST_DAYS,
                          span_days=SPAN_DAYS)
    insert_entries(prefix=EMAIL_PREFIX, count=ENTRIES // scale, today=today, days=ENTRY_DAYS,
                   variants=claim_variants(mix=YEAR_END_MIX, count=VARIANTS, seed=11),
                   seed=0.24)
    with connection.cursor() as cursor:
        cursor.execute("""
            WITH picked AS (
                SELECT id, holder_id, reported_on FROM submissions_entry
                WHERE state = %(rejected)s AND activity_date >= %(since)s
                  AND mod(id, %(every)s) = 0
            ),
            denied AS (
                INSERT INTO submissions_denial (holder_id, kind, entry_id, denied_on, reason,
                                                created_at)
                SELECT holder_id, %(kind)s, id, reported_on + 3, 'Bench review', now()
                FROM picked
                RETURNING id, denied_on
            )
            INSERT INTO appeals_appeal (denial_id, filed_at, rationale, rationale_pdf, state,
                                        decision_reason)
            SELECT id, LEAST(denied_on + interval '10 days', now()), 'Bench appeal', '',
                   %(filed)s, ''
            FROM denied
        """, {"rejected": EntryState.REJECTED, "since": today - timedelta(days=APPEAL_DAYS),
              "every": APPEAL_EVERY, "kind": DenialKind.ENTRY_REJECTED,
              "filed": AppealState.FILED})
    fill_standings(today=today)


def _sizes() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM accounts_user),"
                       " (SELECT count(*) FROM certifications_certification),"
                       " (SELECT count(*) FROM certifications_certificationyear),"
                       " (SELECT count(*) FROM submissions_entry),"
                       " (SELECT count(*) FROM appeals_appeal)")
        holders, certifications, years, entries, appeals = cursor.fetchone()
    return (f"{holders:,} holders, {certifications:,} certifications, {years:,} certification "
            f"years, {entries:,} entries, {appeals:,} open appeals")


# --- Each run from the same data ---------------------------------------------------------------

def _reset(scenario: Scenario, *, today: date) -> None:
    """Put the data where `scenario` starts: what a run wrote is undone; the years due before
    the scenario's window were closed (met, or exempt) by earlier runs, the rest are open; with
    `reminded`, the reminders of every earlier day went out."""
    closed_before = today - timedelta(days=scenario.closed_days)
    with connection.cursor() as cursor:
        cursor.execute("""
            UPDATE certifications_certification c SET status = %s, decertified_on = NULL
            FROM submissions_denial d
            WHERE d.certification_id = c.id AND d.kind = %s
        """, [CertificationStatus.ACTIVE, DenialKind.DECERTIFIED])
        cursor.execute("DELETE FROM submissions_denial WHERE kind = %s", [DenialKind.DECERTIFIED])
        cursor.execute("DELETE FROM certifications_historicalcertification")
        cursor.execute("DELETE FROM submissions_reminder")
        cursor.execute("DELETE FROM accounts_outboxmessage")
        cursor.execute("UPDATE accounts_user SET records_version = 0 WHERE records_version <> 0")
        cursor.execute("""
            UPDATE certifications_certificationyear y SET state = s.state, closed_at = s.closed_at
            FROM (
                SELECT id,
                       CASE WHEN deadline >= %(closed_before)s THEN %(open)s
                            WHEN required_credits = 0 THEN %(exempt)s ELSE %(met)s END AS state,
                       CASE WHEN deadline < %(closed_before)s
                            THEN (deadline + 1)::timestamptz END AS closed_at
                FROM certifications_certificationyear
            ) s
            WHERE s.id = y.id AND (y.state, y.closed_at) IS DISTINCT FROM (s.state, s.closed_at)
        """, {"closed_before": closed_before, "open": YearState.OPEN,
              "exempt": YearState.EXEMPT, "met": YearState.MET})
        if scenario.reminded:
            offsets = reminders._offsets()
            cursor.execute("""
                INSERT INTO submissions_reminder (year_id, days_before, deadline, sent_on)
                SELECT y.id, o, y.deadline, y.deadline - o
                FROM certifications_certificationyear y
                JOIN certifications_certification c ON c.id = y.certification_id
                CROSS JOIN unnest(%(offsets)s::int[]) o
                WHERE y.state = %(open)s AND c.status = %(active)s AND y.required_credits > 0
                  AND y.counted_credits < y.required_credits
                  AND y.deadline >= %(today)s AND y.deadline - o < %(today)s
            """, {"offsets": offsets, "open": YearState.OPEN,
                  "active": CertificationStatus.ACTIVE, "today": today})
            cursor.execute("""
                INSERT INTO submissions_reminder (entry_id, days_before, deadline, sent_on)
                SELECT id, %(days)s, proof_due_on, proof_due_on - %(days)s
                FROM submissions_entry
                WHERE state = %(requested)s AND proof_submitted_at IS NULL
                  AND proof_due_on >= %(today)s AND proof_due_on - %(days)s < %(today)s
            """, {"days": reminders.PROOF_REMINDER_DAYS,
                  "requested": EntryState.PROOF_REQUESTED, "today": today})
        cursor.execute("VACUUM ANALYZE certifications_certificationyear,"
                       " certifications_certification, certifications_historicalcertification,"
                       " submissions_denial, submissions_reminder, accounts_outboxmessage,"
                       " accounts_user")


def _due(scenario: Scenario, *, today: date) -> int:
    """What the run has before it: years to close, or reminders to send."""
    with connection.cursor() as cursor:
        if scenario.job == "close":
            cursor.execute("""
                SELECT count(*) FROM certifications_certificationyear y
                JOIN certifications_certification c ON c.id = y.certification_id
                WHERE y.state IN (%s, %s) AND y.deadline < %s AND c.status = %s
            """, [YearState.OPEN, YearState.WAITING, today, CertificationStatus.ACTIVE])
            return cursor.fetchone()[0]
    return (reminders.due_year_reminders(today=today).count()
            + reminders.due_proof_reminders(today=today).count())


def _outcome() -> Outcome:
    """What the database holds after a run, counted, and a fingerprint of every row a run
    writes (dates and times of writing left out)."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*) FILTER (WHERE state = %s), count(*) FILTER (WHERE state = %s),
                   count(*) FILTER (WHERE state = %s), count(*) FILTER (WHERE state = %s),
                   md5(string_agg(id || ' ' || state, ',' ORDER BY id))
            FROM certifications_certificationyear
        """, [YearState.MET, YearState.EXEMPT, YearState.WAITING, YearState.NOT_MET])
        met, exempt, waiting, not_met, years = cursor.fetchone()
        cursor.execute("""
            SELECT count(*), md5(string_agg(id || ' ' || decertified_on, ',' ORDER BY id))
            FROM certifications_certification WHERE status = %s
        """, [CertificationStatus.DECERTIFIED])
        decertified, certifications = cursor.fetchone()
        cursor.execute("""
            SELECT count(*), md5(string_agg(
                concat_ws(' ', id, status, decertified_on, history_type, history_change_reason),
                ',' ORDER BY id))
            FROM certifications_historicalcertification
        """)
        history, history_rows = cursor.fetchone()
        cursor.execute("""
            SELECT count(*), md5(string_agg(
                concat_ws(' ', certification_id, holder_id, denied_on, reason),
                ',' ORDER BY certification_id))
            FROM submissions_denial WHERE kind = %s
        """, [DenialKind.DECERTIFIED])
        denials, denial_rows = cursor.fetchone()
        cursor.execute("""
            SELECT count(*), md5(string_agg(
                concat_ws(' ', recipient_id, "to", kind, dedupe_key, context::text),
                ',' ORDER BY recipient_id, kind, dedupe_key))
            FROM accounts_outboxmessage
        """)
        messages, message_rows = cursor.fetchone()
        cursor.execute("""
            SELECT count(r.year_id), count(r.entry_id), md5(string_agg(
                concat_ws(' ', r.year_id, r.entry_id, r.days_before, r.deadline, r.sent_on,
                          m.recipient_id, m.kind),
                ',' ORDER BY r.year_id, r.entry_id, r.days_before))
            FROM submissions_reminder r LEFT JOIN accounts_outboxmessage m ON m.id = r.message_id
        """)
        year_reminders, proof_reminders, reminder_rows = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM accounts_user WHERE records_version > 0")
        told = cursor.fetchone()[0]
    counts = {"met": met, "exempt": exempt, "held": waiting, "not met": not_met,
              "decertified": decertified, "history rows": history, "denials": denials,
              "messages": messages, "year reminders": year_reminders,
              "proof reminders": proof_reminders, "holders' records changed": told}
    fingerprint = "/".join(str(part) for part in (
        years, certifications, history_rows, denial_rows, message_rows, reminder_rows))
    return Outcome(counts, fingerprint)


@contextmanager
def _counting(batch_functions: list[tuple[ModuleType, str]], timed: Timed) -> Iterator[None]:
    """Count the queries (and their time) of what runs inside, and those of each call of the
    functions that commit a batch."""
    executed: list[float] = []

    def counting(execute: Callable[..., object], sql: str, params: object, many: bool,
                 context: dict[str, object]) -> object:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            executed.append(time.perf_counter() - started)

    originals = []
    for module, name in batch_functions:
        original = getattr(module, name)
        per_batch = timed.batches.setdefault(name, [])

        def counted(*args: object, _original: Callable = original,
                    _per_batch: list[int] = per_batch, **kwargs: object) -> object:
            before = len(executed)
            try:
                return _original(*args, **kwargs)
            finally:
                _per_batch.append(len(executed) - before)

        originals.append((module, name, original))
        setattr(module, name, counted)
    try:
        with connection.execute_wrapper(counting):
            yield
    finally:
        for module, name, original in originals:
            setattr(module, name, original)
        timed.queries = len(executed)
        timed.sql_seconds = sum(executed)


def _time(call: Callable[[], object],
          batch_functions: list[tuple[ModuleType, str]] = ()) -> Timed:
    timed = Timed(seconds=0, queries=0, sql_seconds=0)
    started = time.perf_counter()
    with _counting(list(batch_functions), timed):
        call()
    timed.seconds = time.perf_counter() - started
    return timed


# --- The baselines: hand-written set-based SQL -------------------------------------------------

# The baselines' statements are estimated to cost enough for PostgreSQL to compile them (JIT),
# which takes longer than running them (0.2 to 0.8 s each): a hand-tuned statement turns it off.
NO_JIT = "SET LOCAL jit = off"


def _url_sql(name: str, *columns: str) -> str:
    """SQL for the absolute URL of `name` with the values of `columns` as its arguments."""
    placeholders = [str(900_000_001 + i) for i in range(len(columns))]
    expression = "'" + settings.CPE_SITE_URL + reverse(name, args=placeholders) + "'"
    for placeholder, column in zip(placeholders, columns, strict=True):
        expression = f"replace({expression}, '{placeholder}', ({column})::text)"
    return expression


def _lay_years_sql() -> str:
    """The years each active certification lacks, up to the one containing %(today)s: year n
    starts on the (n-1)-th anniversary (`date + interval` gives 28 February for a leap-day award
    in common years)."""
    return f"""
        INSERT INTO certifications_certificationyear
            (certification_id, number, starts_on, ends_on, deadline, required_credits, state,
             counted_credits, undecided_credits)
        SELECT c.id, n, (c.awarded_on + make_interval(years => n - 1))::date,
               (c.awarded_on + make_interval(years => n))::date - 1,
               (c.awarded_on + make_interval(years => n))::date - 1 + {int(
                   settings.CPE_REPORTING_GRACE_DAYS)},
               l.required_credits, '{YearState.OPEN}', 0, 0
        FROM certifications_certification c
        JOIN certifications_certificationtitle t ON t.id = c.title_id
        JOIN certifications_certificationlevel l ON l.id = t.level_id
        CROSS JOIN LATERAL (
            SELECT extract(year FROM %(today)s::date)::int
                   - extract(year FROM c.awarded_on)::int + 1 AS k
        ) guess
        CROSS JOIN LATERAL generate_series(1, CASE
            WHEN (c.awarded_on + make_interval(years => guess.k - 1))::date > %(today)s
            THEN guess.k - 1 ELSE guess.k END) n
        WHERE c.status = '{CertificationStatus.ACTIVE}' AND c.awarded_on <= %(today)s
          AND NOT EXISTS (
              SELECT 1 FROM certifications_certificationyear y
              WHERE y.certification_id = c.id AND y.starts_on <= %(today)s
                AND y.ends_on >= %(today)s)
        ON CONFLICT (certification_id, number) DO NOTHING
    """  # noqa: S608 (our own constants)


def _date_json(column: str) -> str:
    return f"jsonb_build_object('$date', ({column})::text)"


def _decimal_json(column: str) -> str:
    return f"jsonb_build_object('$decimal', ({column})::text)"


def close_baseline(*, today: date) -> None:
    """The year-end close in set-based SQL, one transaction: the missing years laid, each due
    year judged (a certification's years after one that decertifies it left as they are), the
    years' states, the certifications decertified with their history rows, denials, the
    messages, the holders' records versions."""
    params = {
        "today": today, "open": YearState.OPEN, "waiting": YearState.WAITING,
        "met": YearState.MET, "exempt": YearState.EXEMPT, "not_met": YearState.NOT_MET,
        "active": CertificationStatus.ACTIVE, "decertified": CertificationStatus.DECERTIFIED,
        "appeal_states": sorted(OPEN_APPEAL_STATES), "kind": DenialKind.DECERTIFIED,
        "counting": sorted(COUNTING_STATES), "undecided": sorted(UNDECIDED_STATES),
        "closed": sorted(CLOSED_YEAR_STATES), "cap_from": settings.CPE_SUBMISSION_CAP_FROM,
        "cap_factor": settings.CPE_SUBMISSION_CAP_FACTOR,
        "reason": "Decertified at the year-end close",
        "appeal_until": today + timedelta(days=settings.CPE_APPEAL_WINDOW_DAYS),
        "dashboard": settings.CPE_SITE_URL + reverse("home"),
    }
    year_context = f"""jsonb_build_object(
        'title', p.title, 'number', p.number, 'starts_on', {_date_json('p.starts_on')},
        'ends_on', {_date_json('p.ends_on')}, 'deadline', {_date_json('p.deadline')},
        'counted', {_decimal_json('p.counted_credits')},
        'required', {_decimal_json('p.required_credits')},
        'url', {_url_sql('submissions:year_detail', 'p.certification_id', 'p.number')})"""
    reason = """format('Year %%s of %%s (%%s to %%s) ended with %%s of the %%s CPE credits it '
                       'requires, and nothing left to decide could make up the rest by the '
                       'reporting deadline of %%s.', p.number, p.title, p.starts_on,
                       p.ends_on, p.counted_credits, p.required_credits, p.deadline)"""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(NO_JIT)
        cursor.execute(_lay_years_sql(), params)
        cursor.execute("""
            CREATE TEMPORARY TABLE close_plan ON COMMIT DROP AS
            WITH judged AS (
                SELECT y.id, y.certification_id, y.number, y.state, y.starts_on, y.ends_on,
                       y.deadline, y.required_credits, y.counted_credits, c.holder_id,
                       u.email, t.name AS title,
                       CASE WHEN y.required_credits <= 0 THEN %(exempt)s
                            WHEN y.counted_credits >= y.required_credits THEN %(met)s
                            -- LEAST ignores a NULL: a year with no best case holds nothing.
                            WHEN best.total IS NOT NULL
                                 AND LEAST(best.total, CASE WHEN y.starts_on >= %(cap_from)s
                                           THEN y.required_credits * %(cap_factor)s END)
                                     >= y.required_credits
                            THEN %(waiting)s
                            ELSE %(not_met)s END AS outcome
                FROM certifications_certificationyear y
                JOIN certifications_certification c ON c.id = y.certification_id
                JOIN certifications_certificationtitle t ON t.id = c.title_id
                JOIN accounts_user u ON u.id = c.holder_id
                -- The best case of a short year with something still open: the entries that
                -- belong to it at their best-case credits, each activity under its cap (the
                -- submission cap on the total above).
                LEFT JOIN LATERAL (
                    SELECT SUM(CASE WHEN a.annual_cap IS NULL THEN b.credits
                                    ELSE LEAST(a.annual_cap, b.credits) END) AS total
                    FROM (
                        SELECT e.activity_type_id, SUM(CASE
                            WHEN e.state = ANY(%(undecided)s) OR open_appeal.yes
                            THEN e.claimed_credits
                            ELSE COALESCE(e.approved_credits, e.claimed_credits) END) AS credits
                        FROM submissions_entry e
                        CROSS JOIN LATERAL (SELECT EXISTS (
                            SELECT 1 FROM submissions_denial d
                            JOIN appeals_appeal ap ON ap.denial_id = d.id
                            WHERE d.entry_id = e.id AND ap.state = ANY(%(appeal_states)s)
                        ) AS yes) open_appeal
                        WHERE e.holder_id = c.holder_id
                          AND e.activity_date BETWEEN y.starts_on AND y.ends_on
                          AND e.reported_on <= y.deadline
                          AND (e.state = ANY(%(counting)s) OR e.state = ANY(%(undecided)s)
                               OR open_appeal.yes)
                        GROUP BY e.activity_type_id
                    ) b
                    JOIN activities_activitytype a ON a.id = b.activity_type_id
                    WHERE y.counted_credits < y.required_credits AND (
                        y.undecided_credits > 0 OR EXISTS (
                            SELECT 1 FROM appeals_appeal ap
                            JOIN submissions_denial d ON d.id = ap.denial_id
                            WHERE d.holder_id = c.holder_id AND d.entry_id IS NOT NULL
                              AND ap.state = ANY(%(appeal_states)s)))
                ) best ON true
                WHERE y.state IN (%(open)s, %(waiting)s) AND y.deadline < %(today)s
                  AND c.status = %(active)s
            ),
            ranked AS (
                SELECT judged.*, MIN(number) FILTER (WHERE outcome = %(not_met)s)
                                 OVER (PARTITION BY certification_id) AS decertifying
                FROM judged
            )
            SELECT * FROM ranked
            WHERE (decertifying IS NULL OR number <= decertifying)
              AND (outcome <> %(waiting)s OR state = %(open)s)
        """, params)
        cursor.execute("""
            UPDATE certifications_certificationyear y
            SET state = p.outcome,
                closed_at = CASE WHEN p.outcome = %(waiting)s THEN y.closed_at ELSE now() END,
                counted_at_close = CASE WHEN p.outcome = %(waiting)s THEN NULL
                                        ELSE y.counted_credits END,
                held_since = CASE WHEN p.outcome = %(waiting)s THEN %(today)s
                                  ELSE y.held_since END
            FROM close_plan p WHERE p.id = y.id
        """, params)
        cursor.execute("""
            UPDATE certifications_certification c
            SET status = %(decertified)s, decertified_on = %(today)s
            FROM close_plan p WHERE p.certification_id = c.id AND p.outcome = %(not_met)s
        """, params)
        # A decertified certification collects nothing: its years still open count nothing.
        for table in ("submissions_yearcredit", "submissions_yearactivitytotal"):
            cursor.execute(f"""
                DELETE FROM {table} WHERE year_id IN (
                    SELECT y.id FROM certifications_certificationyear y
                    JOIN close_plan p ON p.certification_id = y.certification_id
                    WHERE p.outcome = %(not_met)s AND NOT y.state = ANY(%(closed)s))
            """, params)  # noqa: S608 (our own table names)
        cursor.execute("""
            UPDATE certifications_certificationyear y
            SET counted_credits = 0, undecided_credits = 0
            FROM close_plan p
            WHERE p.certification_id = y.certification_id AND p.outcome = %(not_met)s
              AND NOT y.state = ANY(%(closed)s)
        """, params)
        cursor.execute("""
            INSERT INTO certifications_historicalcertification
                (id, awarded_on, status, decertified_on, badge_id, created_at, history_date,
                 history_change_reason, history_type, holder_id, title_id)
            SELECT c.id, c.awarded_on, c.status, c.decertified_on, c.badge_id, c.created_at,
                   now(), %(reason)s, '~', c.holder_id, c.title_id
            FROM certifications_certification c
            JOIN close_plan p ON p.certification_id = c.id AND p.outcome = %(not_met)s
        """, params)
        cursor.execute(f"""
            INSERT INTO submissions_denial
                (holder_id, kind, certification_id, denied_on, reason, created_at)
            SELECT p.holder_id, %(kind)s, p.certification_id, %(today)s, {reason}, now()
            FROM close_plan p WHERE p.outcome = %(not_met)s
        """, params)  # noqa: S608 (our own SQL)
        cursor.execute(f"""
            INSERT INTO accounts_outboxmessage
                (recipient_id, "to", kind, dedupe_key, subject, body_text, body_html, context,
                 created_at, attempts, last_error)
            SELECT p.holder_id, p.email,
                   CASE WHEN p.outcome = %(met)s THEN 'year_met' ELSE 'decertified' END,
                   'year-closed:' || p.id, '', '', '',
                   CASE WHEN p.outcome = %(met)s THEN jsonb_build_object(
                            'year', {year_context}, 'dashboard_url', %(dashboard)s::text)
                        ELSE jsonb_build_object(
                            'year', {year_context}, 'reason', {reason},
                            'decertified_on', {_date_json('%(today)s::date')},
                            'appeal_until', {_date_json('%(appeal_until)s::date')},
                            'dashboard_url', %(dashboard)s::text) END,
                   now(), 0, ''
            FROM close_plan p WHERE p.outcome IN (%(met)s, %(not_met)s)
        """, params)  # noqa: S608 (our own SQL)
        cursor.execute("""
            UPDATE accounts_user SET records_version = records_version + 1
            WHERE id IN (SELECT holder_id FROM close_plan)
        """)


def reminders_baseline(*, today: date) -> None:
    """The reminder sweep in set-based SQL, one transaction: per holder one message listing
    the years due a reminder and one listing the proof requests due, with a Reminder row for
    each."""
    offsets = reminders._offsets()
    due = " ".join(f"WHEN y.deadline <= %(today)s::date + {days:d} THEN {days:d}"
                   for days in offsets)
    params = {"today": today, "open": YearState.OPEN, "active": CertificationStatus.ACTIVE,
              "last": today + timedelta(days=offsets[-1]),
              "proof_days": reminders.PROOF_REMINDER_DAYS,
              "proof_last": today + timedelta(days=reminders.PROOF_REMINDER_DAYS),
              "requested": EntryState.PROOF_REQUESTED,
              "log_url": settings.CPE_SITE_URL + reverse("submissions:entry_create")}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(NO_JIT)
        cursor.execute(f"""
            WITH due AS (
                SELECT y.id, y.number, y.deadline, y.counted_credits, y.required_credits,
                       y.certification_id, t.name AS title, c.holder_id, u.email,
                       CASE {due} END AS days_before
                FROM certifications_certificationyear y
                JOIN certifications_certification c ON c.id = y.certification_id
                JOIN certifications_certificationtitle t ON t.id = c.title_id
                JOIN accounts_user u ON u.id = c.holder_id
                WHERE y.state = %(open)s AND y.deadline BETWEEN %(today)s AND %(last)s
                  AND y.required_credits > 0 AND y.counted_credits < y.required_credits
                  AND c.status = %(active)s
            ),
            fresh AS (
                SELECT * FROM due
                WHERE NOT EXISTS (SELECT 1 FROM submissions_reminder r
                                  WHERE r.year_id = due.id AND r.days_before = due.days_before)
            ),
            messages AS (
                INSERT INTO accounts_outboxmessage
                    (recipient_id, "to", kind, subject, body_text, body_html, context,
                     created_at, attempts, last_error)
                SELECT holder_id, email, 'cpe_reminder', '', '', '', jsonb_build_object(
                    'years', jsonb_agg(jsonb_build_object(
                        'title', title, 'number', number,
                        'deadline', {_date_json('deadline')},
                        'counted', {_decimal_json('counted_credits')},
                        'required', {_decimal_json('required_credits')},
                        'missing', {_decimal_json('required_credits - counted_credits')},
                        'days_left', deadline - %(today)s::date,
                        'url', {_url_sql('submissions:year_detail', 'certification_id',
                                         'number')}
                    ) ORDER BY deadline, id),
                    'log_url', %(log_url)s::text), now(), 0, ''
                FROM fresh GROUP BY holder_id, email
                RETURNING id, recipient_id
            )
            INSERT INTO submissions_reminder (year_id, days_before, deadline, sent_on,
                                              message_id)
            SELECT f.id, f.days_before, f.deadline, %(today)s, m.id
            FROM fresh f JOIN messages m ON m.recipient_id = f.holder_id
        """, params)  # noqa: S608 (our own SQL)
        cursor.execute(f"""
            WITH fresh AS (
                SELECT e.id, e.title, e.activity_date, e.proof_due_on, e.holder_id, u.email
                FROM submissions_entry e JOIN accounts_user u ON u.id = e.holder_id
                WHERE e.state = %(requested)s AND e.proof_submitted_at IS NULL
                  AND e.proof_due_on BETWEEN %(today)s AND %(proof_last)s
                  AND NOT EXISTS (SELECT 1 FROM submissions_reminder r
                                  WHERE r.entry_id = e.id AND r.deadline = e.proof_due_on)
            ),
            messages AS (
                INSERT INTO accounts_outboxmessage
                    (recipient_id, "to", kind, subject, body_text, body_html, context,
                     created_at, attempts, last_error)
                SELECT holder_id, email, 'proof_reminder', '', '', '', jsonb_build_object(
                    'entries', jsonb_agg(jsonb_build_object(
                        'title', title, 'activity_date', {_date_json('activity_date')},
                        'due_on', {_date_json('proof_due_on')},
                        'url', {_url_sql('submissions:entry_detail', 'id')}
                    ) ORDER BY proof_due_on, id)), now(), 0, ''
                FROM fresh GROUP BY holder_id, email
                RETURNING id, recipient_id
            )
            INSERT INTO submissions_reminder (entry_id, days_before, deadline, sent_on,
                                              message_id)
            SELECT f.id, %(proof_days)s, f.proof_due_on, %(today)s, m.id
            FROM fresh f JOIN messages m ON m.recipient_id = f.holder_id
        """, params)  # noqa: S608 (our own SQL)


# --- The runs ----------------------------------------------------------------------------------

JOBS = {
    "close": (lambda today: closing.close_certification_years(today=today), close_baseline,
              [(closing, "_close_batch")]),
    "reminders": (lambda today: reminders.send_cpe_reminders(today=today), reminders_baseline,
                  [(reminders, "_send_year_batch"), (reminders, "_send_proof_batch")]),
}


def measure(scenario: Scenario, *, size: str, today: date) -> Measured:
    job, baseline, batch_functions = JOBS[scenario.job]
    _reset(scenario, today=today)
    due = _due(scenario, today=today)
    start = _outcome()
    progress(f"year-end, {size}: {scenario.name} ({due:,} due): the baseline")
    baseline_timed = _time(lambda: baseline(today=today))
    baseline_outcome = _outcome()
    _reset(scenario, today=today)
    progress(f"year-end, {size}: {scenario.name}: the job")
    job_timed = _time(lambda: job(today), batch_functions)
    job_outcome = _outcome()
    return Measured(scenario, size, due, start, job_timed, baseline_timed, job_outcome,
                    baseline_outcome)


@contextmanager
def own_database(name: str, maintenance: str) -> Iterator[None]:
    """Point Django's connection at a new, migrated database `name` on the same server for the
    duration (as Django's test runner does), and drop it afterwards."""
    def drop() -> None:
        with psycopg.connect(maintenance, autocommit=True) as db:
            db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))

    connections.close_all()
    previous = connection.settings_dict["NAME"]
    drop()
    with psycopg.connect(maintenance, autocommit=True) as db:
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = name
    try:
        call_command("migrate", verbosity=0)
        yield
    finally:
        connections.close_all()
        connection.settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = previous
        drop()


@contextmanager
def own_queue() -> Iterator[None]:
    """The jobs send their mail-delivery tasks to Redis as in production, to a queue of the
    benchmark's own that nothing consumes, deleted at the end."""
    from cpe_portal.celery import app

    queue, default = f"bench-{uuid.uuid4().hex}", app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield
    finally:
        app.conf.task_default_queue = default
        if app.conf.broker_url.startswith("redis://"):
            with app.connection_for_write() as connection:
                connection.default_channel.client.delete(queue)


def run(*, today: date, database: str, maintenance: str) -> tuple[str, list[Target]]:
    with own_queue():
        return _run(today=today, database=database, maintenance=maintenance)


def _run(*, today: date, database: str, maintenance: str) -> tuple[str, list[Target]]:
    measured: list[Measured] = []
    notes = []
    for scale in SCALES:
        size = "full" if scale == 1 else f"1/{scale}"
        with own_database(f"{database}_{scale}", maintenance):
            progress(f"year-end data, {size}: {HOLDERS // scale:,} holders, "
                     f"{ENTRIES // scale:,} entries")
            started = time.perf_counter()
            make_data(today=today, scale=scale)
            notes.append(f"{size}: {_sizes()}; made in {time.perf_counter() - started:.0f} s")
            for scenario in SCENARIOS:
                measured.append(measure(scenario, size=size, today=today))
    return _report(measured, notes)


def _change(value: int) -> str:
    return f"+{value:,}" if value > 0 else count(value)


def _report(measured: list[Measured], notes: list[str]) -> tuple[str, list[Target]]:
    rows = [[m.scenario.name, m.size, count(m.due), f"{m.job.seconds:.2f}",
             f"{m.job.sql_seconds:.2f}", f"{m.baseline.seconds:.2f}", ratio(m.ratio),
             str(m.job.queries), m.describe_batches(), "yes" if m.agree else "**no**"]
            for m in measured]
    text = "### Year-end close and reminders (in process)\n\n"
    text += "Data: " + "; ".join(notes) + ".\n\n"
    text += table(["run", "data", "due", "job s", "in queries s", "baseline s", "job ÷ baseline",
                   "queries", "batches × queries", "same outcome"], rows, right_from=2) + "\n\n"
    names = list(measured[0].job_outcome.counts)
    outcome_rows = []
    for m in measured:
        for who, outcome in (("job", m.job_outcome), ("SQL", m.baseline_outcome)):
            outcome_rows.append([m.scenario.name, m.size, who, *(
                _change(outcome.counts[name] - m.start.counts[name]) for name in names)])
    text += ("What each run changed (rows written, years by the state they moved to):\n\n"
             + table(["run", "data", "by", *names], outcome_rows, right_from=3) + "\n")

    targets = []
    for m in measured:
        what = f"{m.scenario.name} ({m.size})"
        if m.size == "full":
            targets.append(Target(f"{what}: job within {RATIO_TARGET}× the set-based SQL",
                                  m.ratio <= RATIO_TARGET, ratio(m.ratio)))
        targets.append(Target(f"{what}: job and SQL end the same", m.agree,
                              "same rows" if m.agree else
                              f"job {m.job_outcome.counts}, SQL {m.baseline_outcome.counts}"))
        targets.append(Target(f"{what}: the same queries in every batch", m.flat(),
                              m.describe_batches()))
    by_run = {(m.scenario.name, m.size): m for m in measured}
    year = SCENARIOS[1].name
    full, tenth = by_run.get((year, "full")), by_run.get((year, f"1/{SCALES[0]}"))
    if full and tenth:
        grows = full.job.seconds / tenth.job.seconds
        targets.append(Target(f"{year}: the full data set within {SCALING_TARGET}× the time "
                              "of one tenth", grows <= SCALING_TARGET,
                              f"{ratio(grows)} ({full.job.seconds:.1f} s ÷ "
                              f"{tenth.job.seconds:.1f} s; the SQL: "
                              f"{ratio(full.baseline.seconds / tenth.baseline.seconds)})"))
    return text, targets

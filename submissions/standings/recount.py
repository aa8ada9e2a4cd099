"""The stored standings' one writer: what each counting entry counts toward each certification
year, and each year's counted credits and credits awaiting a decision, kept in the database so
that pages read them instead of counting a year.

`recount_years` recounts a set of certification years with a few set-based SQL statements (window
functions over the years' entries in counting order) inside the caller's transaction. Callers
hold the holder's lock (logging, editing, withdrawing, review decisions) or lock the holders of a
batch (a change of a cap or a requirement), so a recount never races a change of the same
holder's entries. It applies the same rules as the pure `counting.count_year`, which the
checker (`standings.check`) uses to recount independently.

Which entries count toward a year (`counts_toward`): the entries in a counting state that belong
to it (`belonging`: the year's holder's, dated inside the year and reported on or before its
deadline, of a certification that collects CPE). Years without a requirement, and the years of a
decertified certification, count nothing. A closed year is a record: no recount touches it.
"""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from accounts.models import User
from activities.models import ActivityType
from certifications.enums import CLOSED_YEAR_STATES, CertificationStatus
from certifications.models import Certification, CertificationLevel, CertificationYear
from certifications.rules import submission_cap, takes_entry
from certifications.services import ensure_certification_years

from ..belonging import belonging_windows, belongs_sql
from ..enums import COUNTING_STATES, UNDECIDED_STATES
from ..models import Entry, HolderEntries, YearActivityTotal, YearCredit


def year_submission_cap(required_credits: Decimal, starts_on: date) -> Decimal | None:
    """The most a year may count in total (the annual submission cap), or None without one."""
    return submission_cap(required_credits, starts_on,
                          cap_from=settings.CPE_SUBMISSION_CAP_FROM,
                          factor=settings.CPE_SUBMISSION_CAP_FACTOR)


# --- Which years an entry counts toward ------------------------------------------------------

def counts_toward(year: CertificationYear, *, holder_id: int, activity_date: date,
                  reported_on: date, state: str) -> bool:
    """The rule for one entry and one year, in Python (see the module docstring)."""
    certification = year.certification
    return (certification.holder_id == holder_id and certification.is_active
            and year.required_credits > 0 and state in COUNTING_STATES
            and takes_entry(year.window, activity_date=activity_date, reported_on=reported_on))


def holder_years(*, certifications: Iterable[Certification], day: date,
                 reported_on: date) -> list[CertificationYear]:
    """The year rows of these certifications (one holder's) that an entry dated `day` and
    reported on `reported_on` belongs to (`belonging.belonging_windows`: of certifications that
    collect CPE, the year containing `day`, where its deadline had not passed by `reported_on`).

    Rows are created where the daily job has not yet made them, so a year that counts anything
    always has its row. One query, two when a row is missing.
    """
    wanted = {(certification.pk, window.number): (certification, window)
              for certification, window in belonging_windows(
                  certifications, activity_date=day, reported_on=reported_on)}
    if not wanted:
        return []
    match = Q()
    for certification_id, number in wanted:
        match |= Q(certification_id=certification_id, number=number)
    years = list(CertificationYear.objects.filter(match).select_related("certification"))
    missing = wanted.keys() - {(y.certification_id, y.number) for y in years}
    new = [CertificationYear.for_window(*wanted[key]) for key in sorted(missing)]
    if new:
        CertificationYear.objects.bulk_create(new, ignore_conflicts=True)
        years = list(CertificationYear.objects.filter(match).select_related("certification"))
    return sorted(years, key=lambda y: (y.certification_id, y.number))


def entry_years(entry: Entry, certifications: Iterable[Certification]) -> list[CertificationYear]:
    """The year rows `entry` (of the holder of `certifications`) belongs to, as it stands."""
    return holder_years(certifications=certifications, day=entry.activity_date,
                        reported_on=entry.reported_on)


def recount_entry_years(entry: Entry) -> None:
    """Recount the years `entry` belongs to, for entries written outside the services (bulk
    loads, test data). The services recount what they change themselves."""
    certifications = Certification.objects.filter(holder_id=entry.holder_id).select_related(
        "title__level")
    recount_years(year.pk for year in entry_years(entry, certifications))


# --- The recount, in SQL ------------------------------------------------------------------------

def _tables() -> dict[str, str]:
    return {
        "year": CertificationYear._meta.db_table,
        "certification": Certification._meta.db_table,
        "entry": Entry._meta.db_table,
        "activity": ActivityType._meta.db_table,
        "credit": YearCredit._meta.db_table,
        "total": YearActivityTotal._meta.db_table,
        "user": User._meta.db_table,
    }


def _states(states: Collection[str]) -> str:
    # The states are our own constants, never input: written into the statement as literals.
    return ", ".join(f"'{state}'" for state in sorted(states))


def _closed() -> str:
    """SQL: the closed year states. A closed year is a record: no recount touches it."""
    return _states(CLOSED_YEAR_STATES)


def _clamp(value: str, high: str) -> str:
    """SQL: `value` held between 0 and `high`."""
    return (f"CASE WHEN {value} <= 0 THEN 0 WHEN {value} >= {high} THEN {high}"
            f" ELSE {value} END")


# Counting order: activity date, then logging time, then id (counting.Countable.order).
_BEFORE = ("ORDER BY activity_date, logged_at, entry_id"
           " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING")


def _running(value: str, *, ahead: str, per_activity: bool) -> str:
    """SQL: what comes before `ahead` (the rows dated before the recount's day) plus the sum of
    `value` over the rows ahead in counting order, in the year (and activity)."""
    partition = "year_id, activity_type_id" if per_activity else "year_id"
    return f"{ahead} + COALESCE(SUM({value}) OVER (PARTITION BY {partition} {_BEFORE}), 0)"


def _within(cap: str, room: str, value: str) -> str:
    """SQL: `value`, or what is left of it under `cap` (`room`) when there is a cap."""
    return f"CASE WHEN {cap} IS NULL THEN {value} ELSE {_clamp(room, value)} END"


# count_year as SQL, one column a step, each computed from the ones before (see below).
STEPS = (
    ("activity_before", _running("credits", ahead="claimed_ahead", per_activity=True)),
    ("after_activity", _within("activity_cap", "activity_cap - activity_before", "credits")),
    ("total_before", _running("after_activity", ahead="total_ahead", per_activity=False)),
    ("counted", _within("submission_cap", "submission_cap - total_before", "after_activity")),
    ("activity_used", _running("counted", ahead="counted_ahead", per_activity=True)),
    ("room", _within("activity_cap", "activity_cap - activity_used", "credits")),
)


def _steps(steps: Sequence[tuple[str, str]]) -> str:
    """SQL: one common table expression a step, `step1` from `counting` onwards."""
    sources = ["counting", *(f"step{n}" for n in range(1, len(steps)))]
    return ",\n".join(
        f"step{n} AS (SELECT {source}.*, {expression} AS {name} FROM {source})"  # noqa: S608
        for n, (source, (name, expression)) in enumerate(zip(sources, steps, strict=True),
                                                         start=1))


def _counted_rows_sql(placeholders: str) -> str:
    """A SELECT of (year_id, entry_id, activity_type_id, activity_date, credits, counted,
    stopped_by) for the entries dated on or after a day (the second parameter) in the years
    whose ids fill `placeholders`: counting.count_year, step by step, in integer cents.

    What an entry counts depends only on the entries ahead of it in counting order, so the
    count starts from what the entries dated before that day used, as their stored rows say
    (per activity: credits claimed, credits counted), and reads only the entries from that day.

    1. Each activity's annual cap, in counting order: what is over the cap does not count.
    2. The annual submission cap on the running total of what passed step 1.
    3. Which cap stopped the rest, judged as count_year judges it: against what the activity
       has counted so far, after the submission cap.
    """
    t = _tables()
    return f"""
        WITH years AS (
            SELECT y.id AS year_id, c.holder_id, y.starts_on, y.ends_on, y.deadline,
                   CASE WHEN y.starts_on >= %s
                        THEN ROUND(y.required_credits * %s * 100) END AS submission_cap
            FROM {t["year"]} y
            JOIN {t["certification"]} c ON c.id = y.certification_id
            WHERE y.id IN ({placeholders}) AND y.required_credits > 0
              AND c.status = '{CertificationStatus.ACTIVE.value}'
              AND y.state NOT IN ({_closed()})
        ),
        ahead AS (
            SELECT k.year_id, k.activity_type_id, SUM(ROUND(k.credits * 100)) AS claimed,
                   SUM(ROUND(k.counted * 100)) AS counted
            FROM {t["credit"]} k
            WHERE k.year_id IN ({placeholders}) AND k.activity_date < %s
            GROUP BY k.year_id, k.activity_type_id
        ),
        ahead_total AS (
            SELECT ahead.year_id, SUM(CASE
                WHEN a.annual_cap IS NULL OR ahead.claimed <= ROUND(a.annual_cap * 100)
                THEN ahead.claimed ELSE ROUND(a.annual_cap * 100) END) AS total
            FROM ahead JOIN {t["activity"]} a ON a.id = ahead.activity_type_id
            GROUP BY ahead.year_id
        ),
        counting AS (
            SELECT years.year_id, e.id AS entry_id, e.activity_type_id, e.activity_date,
                   e.logged_at,
                   ROUND(COALESCE(e.approved_credits, e.claimed_credits) * 100) AS credits,
                   ROUND(a.annual_cap * 100) AS activity_cap, years.submission_cap,
                   COALESCE(ahead.claimed, 0) AS claimed_ahead,
                   COALESCE(ahead.counted, 0) AS counted_ahead,
                   COALESCE(ahead_total.total, 0) AS total_ahead
            FROM years
            JOIN {t["entry"]} e ON e.holder_id = years.holder_id
                AND e.activity_date >= years.starts_on AND e.activity_date <= years.ends_on
                AND e.activity_date >= %s AND e.reported_on <= years.deadline
                AND e.state IN ({_states(COUNTING_STATES)})
            JOIN {t["activity"]} a ON a.id = e.activity_type_id
            LEFT JOIN ahead ON ahead.year_id = years.year_id
                AND ahead.activity_type_id = e.activity_type_id
            LEFT JOIN ahead_total ON ahead_total.year_id = years.year_id
        ),
        {_steps(STEPS)}
        SELECT year_id, entry_id, activity_type_id, activity_date, credits / 100 AS credits,
               counted / 100 AS counted,
               CASE WHEN room < credits THEN 'activity_cap'
                    WHEN counted < room THEN 'submission_cap'
                    ELSE '' END AS stopped_by
        FROM step{len(STEPS)}
        WHERE 1 = 1
    """  # noqa: S608 (only table names, our state constants and placeholders)


def recount_years(year_ids: Iterable[int], *, since: date | None = None,
                  changed_entries: Collection[int] | None = None) -> int:
    """Recount the stored standings of these certification years from their entries. Closed
    years are a record and stay as their close left them; the years of a decertified
    certification count nothing.

    Side effects: inserts, updates or deletes the years' YearCredit rows (only those that
    change), writes each year's totals by activity (YearActivityTotal) and sets each year's
    counted and undecided credits, and moves the holders' records version on. Seven
    statements, whatever the number of years or entries.
    Runs in the caller's transaction; the caller holds the lock that keeps the years' holders'
    entries still (see the module docstring). Returns how many YearCredit rows changed.

    A change to a few entries says so, and the recount reads and writes less: `since`, the
    earliest activity date the change touched (rows dated earlier stay as they are, and what
    they used is read from them), and `changed_entries`, the entries whose state, date or
    report changed (only their rows can stop belonging to a year; none for a new entry). Without
    them, every row of the years is counted anew (a rebuild, a changed cap or requirement).
    """
    ids = sorted(set(year_ids))
    if not ids:
        return 0
    t = _tables()
    placeholders = ", ".join(["%s"] * len(ids))
    cap_from = settings.CPE_SUBMISSION_CAP_FROM.isoformat()
    factor = settings.CPE_SUBMISSION_CAP_FACTOR
    start = (since or date.min).isoformat()
    credit = t["credit"]
    changed_only = "" if changed_entries is None else (
        f"AND k.entry_id IN ({', '.join(['%s'] * len(changed_entries))})")
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO {credit}
                (year_id, entry_id, activity_type_id, activity_date, credits, counted,
                 stopped_by)
            {_counted_rows_sql(placeholders)}
            ON CONFLICT (year_id, entry_id) DO UPDATE SET
                activity_type_id = excluded.activity_type_id,
                activity_date = excluded.activity_date, credits = excluded.credits,
                counted = excluded.counted, stopped_by = excluded.stopped_by
            WHERE {credit}.counted <> excluded.counted
               OR {credit}.stopped_by <> excluded.stopped_by
               OR {credit}.credits <> excluded.credits
               OR {credit}.activity_date <> excluded.activity_date
               OR {credit}.activity_type_id <> excluded.activity_type_id
        """, [cap_from, factor, *ids, *ids, start, start])
        changed = cursor.rowcount
        if changed_entries is None or changed_entries:
            cursor.execute(f"""
                DELETE FROM {credit} WHERE id IN (
                    SELECT k.id FROM {credit} k
                    JOIN {t["year"]} y ON y.id = k.year_id
                    JOIN {t["certification"]} c ON c.id = y.certification_id
                    JOIN {t["entry"]} e ON e.id = k.entry_id
                    WHERE k.year_id IN ({placeholders}) {changed_only}
                      AND y.state NOT IN ({_closed()}) AND NOT (
                        {belongs_sql(year="y", certification="c", entry="e")}
                        AND e.state IN ({_states(COUNTING_STATES)}))
                )
            """, [*ids, *(changed_entries or [])])  # noqa: S608 (table names and placeholders)
            changed += cursor.rowcount
        total = t["total"]
        if changed_entries is None or changed_entries:
            # An entry may have left a year or changed its activity, and an activity may have
            # left the year with it: its totals start over.
            cursor.execute(f"""
                DELETE FROM {total} WHERE year_id IN (
                    SELECT id FROM {t["year"]}
                    WHERE id IN ({placeholders}) AND state NOT IN ({_closed()}))
            """, ids)  # noqa: S608 (only table names, state constants and placeholders)
        cursor.execute(f"""
            INSERT INTO {total} (year_id, activity_type_id, counted)
            SELECT k.year_id, k.activity_type_id, SUM(k.counted) FROM {credit} k
            JOIN {t["year"]} y ON y.id = k.year_id
            WHERE k.year_id IN ({placeholders}) AND y.state NOT IN ({_closed()})
            GROUP BY k.year_id, k.activity_type_id
            ON CONFLICT (year_id, activity_type_id) DO UPDATE SET counted = excluded.counted
            WHERE {total}.counted <> excluded.counted
        """, ids)  # noqa: S608 (only table names and placeholders)
        year = t["year"]
        cursor.execute(f"""
            UPDATE {year} SET
                counted_credits = COALESCE((
                    SELECT SUM(k.counted) FROM {total} k WHERE k.year_id = {year}.id), 0),
                undecided_credits = COALESCE((
                    SELECT SUM(COALESCE(e.approved_credits, e.claimed_credits))
                    FROM {t["certification"]} c
                    JOIN {t["entry"]} e ON {belongs_sql(year=year, certification="c", entry="e")}
                    WHERE c.id = {year}.certification_id
                      AND e.state IN ({_states(UNDECIDED_STATES)})
                ), 0)
            WHERE {year}.id IN ({placeholders}) AND {year}.state NOT IN ({_closed()})
        """, ids)  # noqa: S608 (only table names and placeholders)
        # The holders' cached pages show these standings (accounts.services.records_changed).
        cursor.execute(f"""
            UPDATE {t["user"]} SET records_version = records_version + 1
            WHERE id IN (SELECT c.holder_id FROM {year} y
                         JOIN {t["certification"]} c ON c.id = y.certification_id
                         WHERE y.id IN ({placeholders}))
        """, ids)  # noqa: S608 (only table names and placeholders)
    return changed


def lock_holders(holder_ids: Iterable[int]) -> None:
    """Serialise everything that reads a holder's entries and then writes what they count: two
    entries logged at the same moment are counted one after the other, never both against the
    same room under a cap. Locks in id order, so that batches never deadlock."""
    list(User.objects.select_for_update().filter(pk__in=list(holder_ids)).order_by("pk")
         .values_list("pk", flat=True))


def recount_holders(holder_ids: Sequence[int]) -> int:
    """Recount every certification year of these holders (a rebuild, or a background batch),
    under their locks. Returns how many YearCredit rows changed."""
    lock_holders(holder_ids)
    return recount_years(CertificationYear.objects.filter(
        certification__holder_id__in=holder_ids).values_list("pk", flat=True))


def store_entry_counts(holder_ids: Sequence[int]) -> None:
    """Write each of these holders' stored count of entries (`HolderEntries`) from their
    entries, as the database's triggers keep it: for a rebuild, after anything that wrote
    entries around the triggers (a TRUNCATE, a load with triggers off). The caller holds the
    holders' locks."""
    counts = dict(Entry.objects.filter(holder_id__in=holder_ids).order_by()
                  .values("holder_id").annotate(entries=Count("pk"))
                  .values_list("holder_id", "entries"))
    HolderEntries.objects.bulk_create(
        [HolderEntries(holder_id=pk, entries=entries) for pk, entries in counts.items()],
        update_conflicts=True, unique_fields=["holder"], update_fields=["entries"])
    # A holder without entries has no row, or one at zero, as the triggers leave it.
    HolderEntries.objects.filter(holder_id__in=holder_ids).exclude(
        holder_id__in=list(counts)).update(entries=0)


@dataclass(frozen=True)
class Rebuilt:
    holders: int
    years_opened: int
    rows_changed: int


def rebuild_standings(*, today: date, holders: QuerySet | None = None,
                      batch_size: int = 500) -> Rebuilt:
    """Rebuild the stored standings from the entries: open the certification years that have
    begun (rows missing for active certifications), then recount every year and store each
    holder's count of entries, a batch of holders per transaction. Safe to run at any time and
    again."""
    holders = holders if holders is not None else User.objects.all()
    certifications = Certification.objects.filter(
        holder__in=holders, status=CertificationStatus.ACTIVE, awarded_on__lte=today,
    ).select_related("title__level")
    opened = ensure_certification_years(today=today, certifications=certifications)
    ids = list(holders.filter(certifications__isnull=False).distinct().order_by("pk")
               .values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            changed += recount_holders(ids[start:start + batch_size])
            store_entry_counts(ids[start:start + batch_size])
    return Rebuilt(len(ids), opened, changed)


def recount_open_years(*, activity_type_id: int | None = None, level_id: int | None = None,
                       batch_size: int = 500) -> int:
    """Bring the open certification years up to date after an administrator changed an
    activity type's annual cap (the years where that activity counts) or a level's requirement
    (the years of that level's titles, which take the new requirement). Closed years stay as
    they were closed. A batch of holders per transaction, under their locks, so logging goes on
    meanwhile. Returns how many YearCredit rows changed."""
    years = CertificationYear.objects.exclude(state__in=CLOSED_YEAR_STATES)
    if activity_type_id is not None:
        years = years.filter(Exists(YearCredit.objects.filter(
            year=OuterRef("pk"), activity_type_id=activity_type_id)))
    if level_id is not None:
        years = years.filter(certification__title__level_id=level_id)
    holder_ids = sorted(set(years.values_list("certification__holder_id", flat=True)))
    changed = 0
    for start in range(0, len(holder_ids), batch_size):
        with transaction.atomic():
            batch = holder_ids[start:start + batch_size]
            lock_holders(batch)
            in_batch = years.filter(certification__holder_id__in=batch)
            if level_id is not None:
                in_batch.update(required_credits=Subquery(
                    CertificationLevel.objects.filter(pk=level_id).values("required_credits")))
            changed += recount_years(in_batch.values_list("pk", flat=True))
    return changed

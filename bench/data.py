"""Data generators for the benchmarks: holders, certifications and entries, inserted in bulk from
a seed. Entries are made with the catalogue's own rule functions, so every claimed credit value
is one the portal could have computed; what they count is left to the stored standings, which
`finish` rebuilds once everything is in.

For the big data sets (the admin and the year-end parts), `insert_holders`,
`insert_certifications` and `insert_entries` write with set-based SQL, and `fill_standings` sets
the stored standings in one statement.
"""

import io
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from accounts.models import User
from activities.models import ActivityType
from activities.rules import Inputs, earned_credits
from certifications.models import Certification, CertificationTitle
from certifications.services import ensure_certification_years
from submissions.enums import COUNTING_STATES, UNDECIDED_STATES, EntryState
from submissions.models import Entry, EntryStateChange

# Activity types the generated history mixes, with how often each is picked. Every rule kind is
# there: per hour, per hour with attendance, per unit, fixed and range; capped and uncapped; two
# that need approval.
HISTORY_MIX = {
    "other-course": 30, "attend-webinar": 20, "mentor": 8, "give-webinar": 4,
    "seco-short-course": 6, "give-exam-prep-course": 6, "attend-security-coach": 8,
    "host-security-coach": 3, "read-books": 5, "exam-questions": 3, "listen-podcasts": 7,
}
# Uncapped activity types: entries that all count while the submission cap is moved away.
UNCAPPED_MIX = {
    "other-course": 50, "give-exam-prep-course": 15, "attend-security-coach": 15,
    "seco-short-course": 10, "host-security-coach": 5, "give-webinar": 5,
}
# The final state of an entry (and the state it was logged in), by whether it needs approval.
STATES_WITHOUT_APPROVAL = {
    EntryState.SUBMITTED: 84, EntryState.APPROVED: 3, EntryState.PROOF_REQUESTED: 3,
    EntryState.REJECTED: 4, EntryState.WITHDRAWN: 6,
}
STATES_WITH_APPROVAL = {
    EntryState.APPROVED: 70, EntryState.PENDING_APPROVAL: 12, EntryState.REJECTED: 10,
    EntryState.WITHDRAWN: 8,
}
# Titles with a yearly requirement, one of each level with CPE, in different fields.
PAGE_TITLES = ("ISP", "DPE", "CBCO")
LOGGING_TITLES = ("ITSP", "EHE")


@dataclass(frozen=True)
class Award:
    title_code: str
    # Days before today.
    days_ago: int


def _weighted(rng: random.Random, weights: dict) -> object:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _inputs(rng: random.Random, activity_type: ActivityType) -> Inputs:
    rule = activity_type.rule
    fields = rule.input_fields
    if "length_minutes" in fields:
        length = rng.choice([45, 60, 90, 120])
        return Inputs(length_minutes=length, attended_minutes=length - rng.randrange(length // 5))
    if "hours" in fields:
        return Inputs(hours=Decimal(rng.randrange(2, 33)) / 4)
    if "quantity" in fields:
        if activity_type.unit_size >= 100:  # pages
            return Inputs(quantity=Decimal(rng.randrange(1, 13) * 50))
        step = activity_type.quantity_step
        return Inputs(quantity=step * rng.randrange(1, int(10 / step) + 1))
    if "proposed_credits" in fields:
        return Inputs(proposed_credits=rng.choice([Decimal("5"), Decimal("5.5"), Decimal("6")]))
    return Inputs()


def make_holders(count: int, *, prefix: str, awards: Sequence[Award], today: date) -> list[User]:
    """`count` holders, each certified for the same titles on the same dates."""
    users = User.objects.bulk_create(
        User(email=f"{prefix}{i}@bench.example", full_name=f"Bench {prefix.strip('-')} {i}")
        for i in range(count)
    )
    titles = {t.code: t for t in CertificationTitle.objects.filter(
        code__in=[a.title_code for a in awards])}
    Certification.objects.bulk_create(
        Certification(holder=user, title=titles[award.title_code],
                      awarded_on=today - timedelta(days=award.days_ago))
        for user in users
        for award in awards
    )
    return users


def add_entries(holders: Sequence[User], count: int, *, since: date, today: date,
                mix: dict[str, int], mixed_states: bool, seed: int) -> int:
    """`count` entries for each holder, dated from `since` to `today`, of the activity types in
    `mix`. With `mixed_states`, entries end in the mixed states of a real history (some adjusted);
    without, every entry counts (submitted, or approved when its type needs approval)."""
    rng = random.Random(seed)
    types = {a.code: a for a in ActivityType.objects.filter(code__in=list(mix))}
    now = timezone.now()
    span = (today - since).days + 1
    entries, first_states = [], []
    for holder in holders:
        for i in range(count):
            activity_type = types[_weighted(rng, mix)]
            inputs = _inputs(rng, activity_type)
            kept = {name: getattr(inputs, name) for name in activity_type.rule.input_fields}
            claimed = earned_credits(activity_type.rule, inputs).credits
            logged_as = (EntryState.PENDING_APPROVAL if activity_type.needs_approval
                         else EntryState.SUBMITTED)
            if mixed_states:
                state = _weighted(rng, STATES_WITH_APPROVAL if activity_type.needs_approval
                                  else STATES_WITHOUT_APPROVAL)
            else:
                state = (EntryState.APPROVED if activity_type.needs_approval
                         else EntryState.SUBMITTED)
            approved = None
            if state == EntryState.APPROVED and mixed_states and rng.random() < 0.1:
                approved = (claimed / 2).quantize(Decimal("0.01"))
            day = since + timedelta(days=rng.randrange(span))
            logged_at = min(now, timezone.make_aware(
                datetime.combine(day + timedelta(days=rng.randrange(14)), datetime.min.time())
                + timedelta(minutes=rng.randrange(24 * 60))))
            entries.append(Entry(
                holder=holder, activity_type=activity_type, activity_date=day,
                title=f"Bench activity {i}", provider="Bench Academy", claimed_credits=claimed,
                approved_credits=approved, state=state, relevance_confirmed=True,
                logged_at=logged_at, reported_on=timezone.localdate(logged_at), **kept,
            ))
            first_states.append(logged_as)
    Entry.objects.bulk_create(entries, batch_size=2000)
    changes = []
    for entry, logged_as in zip(entries, first_states, strict=True):
        changes.append(EntryStateChange(entry=entry, from_state="", to_state=logged_as,
                                        changed_by=entry.holder, changed_at=entry.logged_at,
                                        reason="Logged"))
        if entry.state != logged_as:
            changes.append(EntryStateChange(entry=entry, from_state=logged_as,
                                            to_state=entry.state,
                                            changed_at=entry.logged_at + timedelta(days=3),
                                            reason="Bench review"))
    EntryStateChange.objects.bulk_create(changes, batch_size=2000)
    return len(entries)


def finish(*, today: date) -> dict[str, float]:
    """Lay the certification years and rebuild the stored standings from the inserted entries
    (the entries went in without the services that keep them). Returns seconds per step."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    ensure_certification_years(today=today)
    timings["ensure_certification_years"] = time.perf_counter() - started
    started = time.perf_counter()
    call_command("recount_standings", "--date", today.isoformat(), stdout=io.StringIO())
    timings["recount_standings"] = time.perf_counter() - started
    # A database in use has its statistics and visibility map kept by autovacuum; freshly
    # bulk-loaded tables have neither until it passes by. Do now what it would do soon.
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    timings["vacuum_analyze"] = time.perf_counter() - started
    return timings


# --- Big data sets, with set-based SQL ---------------------------------------------------------

def insert_holders(*, prefix: str, count: int) -> None:
    """`count` holders, `<prefix><n>@bench.example`, with consecutive ids."""
    with connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO accounts_user (password, email, full_name, is_staff, is_active,
                                       is_superuser, date_joined, records_version)
            SELECT '!', %s || g || '@bench.example', 'Bench Holder ' || g, false, true, false,
                   now(), 0
            FROM generate_series(1, %s) g
        """, [prefix, count])


def insert_certifications(*, prefix: str, titles: Sequence[str], today: date, second_every: int,
                          newest_days: int, span_days: int, decertified_every: int = 0) -> None:
    """One certification for each holder of `prefix`, two for every `second_every`-th, of the
    `titles` in turn, awarded between `newest_days` and `newest_days + span_days` days before
    `today`, spread over every day of the year. With `decertified_every`, one in that many
    awarded at least 460 days ago was decertified 400 days after its award."""
    ids = [CertificationTitle.objects.get(code=code).pk for code in titles]
    awarded = f"mod(u.id * 37 + n * 211, {span_days:d})"
    decertified = (f"mod(u.id + n, {decertified_every:d}) = 0 AND {newest_days:d} + {awarded} > 460"
                   if decertified_every else "false")
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO certifications_certification
                (holder_id, title_id, awarded_on, status, decertified_on, badge_id, created_at)
            SELECT u.id, t.title_id, t.awarded_on,
                   CASE WHEN t.decertified THEN 'decertified' ELSE 'active' END,
                   CASE WHEN t.decertified THEN t.awarded_on + 400 END,
                   gen_random_uuid(), now()
            FROM accounts_user u
            CROSS JOIN LATERAL (
                SELECT (ARRAY{ids})[1 + mod(u.id * 7 + n * 3, {len(ids)})] AS title_id,
                       %s::date - ({newest_days:d} + {awarded})::int AS awarded_on,
                       {decertified} AS decertified
                FROM generate_series(0, CASE WHEN mod(u.id, {second_every:d}) = 0 THEN 1
                                             ELSE 0 END) n
            ) t
            WHERE u.email LIKE %s
        """, [today, f"{prefix}%"])  # noqa: S608 (our own numbers)


def claim_variants(*, mix: dict[str, int], count: int, seed: int) -> list[tuple]:
    """Up to `count` entries as the log form would make them, of the activity types in `mix`:
    (activity type id, hours, length, attended, quantity, proposed, claimed, needs approval),
    with credits from the catalogue's rules."""
    rng = random.Random(seed)
    types = {a.code: a for a in ActivityType.objects.filter(code__in=list(mix))}
    codes = [code for code, weight in mix.items() for _ in range(weight)]
    variants = []
    for _ in range(count):
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


def insert_entries(*, prefix: str, count: int, today: date, days: int,
                   variants: Sequence[tuple], seed: float) -> None:
    """`count` entries of the `variants`, dated over the last `days` days, logged within two
    weeks of the activity, in the states of a history: most count, some wait for a decision
    (proof requested, due 30 days after the report), some were turned down. Their holders, of
    `prefix`, are drawn at random, so some have many and some none. The entries go in without
    history rows or state changes (a plain bulk insert)."""
    values = ", ".join(
        "(" + ", ".join([str(index), *(_sql_value(v) for v in variant)]) + ")"
        for index, variant in enumerate(variants))
    states = {state.name: state.value for state in EntryState}
    # A column of the variants that is NULL in every row reads as text: the casts below.
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute(f"""
            WITH variant (idx, activity_type_id, hours, length_minutes, attended_minutes,
                          quantity, proposed_credits, claimed_credits, needs_approval)
                AS (VALUES {values}),
            holders AS (SELECT min(id) AS first, count(*) AS n FROM accounts_user
                        WHERE email LIKE %s),
            drawn AS (
                SELECT e, h.first + floor(random() * h.n)::bigint AS holder_id,
                       floor(random() * {len(variants)})::int AS idx,
                       %s::date - floor(random() * {days:d})::int AS activity_date,
                       floor(random() * 14)::int AS late, random() AS fate
                FROM generate_series(1, %s) e CROSS JOIN holders h
            ),
            fated AS (
                SELECT d.*, LEAST(d.activity_date + d.late, %s::date) AS reported_on,
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
                       END AS state
                FROM drawn d JOIN variant v ON v.idx = d.idx
            )
            INSERT INTO submissions_entry
                (holder_id, activity_type_id, activity_date, title, provider, description,
                 hours, length_minutes, attended_minutes, quantity, proposed_credits,
                 claimed_credits, approved_credits, state, relevance_confirmed, logged_at,
                 reported_on, proof_due_on, updated_at)
            SELECT f.holder_id, v.activity_type_id, f.activity_date, 'Bench activity ' || f.e,
                   'Bench Academy', '', v.hours::numeric, v.length_minutes::int,
                   v.attended_minutes::int, v.quantity::numeric, v.proposed_credits::numeric,
                   v.claimed_credits, NULL, f.state, true,
                   LEAST(f.activity_date + f.late + interval '9 hours', now()), f.reported_on,
                   CASE WHEN f.state = '{states["PROOF_REQUESTED"]}' THEN f.reported_on + 30
                   END,
                   now()
            FROM fated f JOIN variant v ON v.idx = f.idx
        """, [f"{prefix}%", today, count, today])  # noqa: S608 (our own constants)


def fill_standings(*, today: date) -> None:
    """Lay the certification years, then set each year's counted credits (the sum of its
    counting entries up to the annual submission cap, the activities' annual caps left out) and
    its credits awaiting a decision in one statement, and analyze the tables, as autovacuum
    would soon. `recount_standings` would apply every rule, but over a million entries it takes
    more than ten minutes on two cores."""
    ensure_certification_years(today=today)
    counting = ", ".join(f"'{state}'" for state in sorted(COUNTING_STATES))
    undecided = ", ".join(f"'{state}'" for state in sorted(UNDECIDED_STATES))
    with connection.cursor() as cursor:
        cursor.execute(f"""
            UPDATE certifications_certificationyear y
            SET counted_credits = LEAST(s.counted, y.required_credits * 2),
                undecided_credits = s.undecided
            FROM (
                SELECT y.id,
                       COALESCE(SUM(COALESCE(e.approved_credits, e.claimed_credits))
                                FILTER (WHERE e.state IN ({counting})), 0) AS counted,
                       COALESCE(SUM(COALESCE(e.approved_credits, e.claimed_credits))
                                FILTER (WHERE e.state IN ({undecided})), 0) AS undecided
                FROM certifications_certificationyear y
                JOIN certifications_certification c ON c.id = y.certification_id
                JOIN submissions_entry e ON e.holder_id = c.holder_id
                     AND e.activity_date BETWEEN y.starts_on AND y.ends_on
                     AND e.reported_on <= y.deadline
                     AND e.state IN ({counting}, {undecided})
                WHERE y.required_credits > 0
                GROUP BY y.id
            ) s
            WHERE y.id = s.id
        """)  # noqa: S608 (our own state constants)
        cursor.execute("VACUUM ANALYZE")

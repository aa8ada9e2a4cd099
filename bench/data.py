"""Data generators for the benchmarks: holders, certifications and entries, inserted in bulk from
a seed. Entries are made with the catalogue's own rule functions, so every claimed credit value
is one the portal could have computed; what they count is left to the stored standings, which
`finish` rebuilds once everything is in."""

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
from submissions.enums import EntryState
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

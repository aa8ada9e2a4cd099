"""Counting a certification year's entries: pure functions (no ORM, no clock).

Entries are taken in order of activity date, then logging time. Each activity's annual cap is
applied in that order, then, for years that have one, the annual submission cap on the total.
Whatever goes over a cap does not count; the result says which cap stopped it.
"""

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from certifications.enums import YearState

ZERO = Decimal("0.00")


class StoppedBy(StrEnum):
    ACTIVITY_CAP = "activity_cap"
    SUBMISSION_CAP = "submission_cap"


@dataclass(frozen=True)
class Countable:
    """An entry as counting sees it. `key` identifies it and breaks ties (the entry's id)."""

    key: int
    activity: Hashable
    activity_date: date
    logged_at: datetime
    credits: Decimal

    @property
    def order(self) -> tuple[date, datetime, int]:
        return (self.activity_date, self.logged_at, self.key)


@dataclass(frozen=True)
class Counted:
    key: int
    activity: Hashable
    credits: Decimal
    counted: Decimal
    stopped_by: StoppedBy | None = None


@dataclass(frozen=True)
class YearCount:
    entries: tuple[Counted, ...]
    total: Decimal
    by_activity: Mapping[Hashable, Decimal]


def _take(credits: Decimal, room: Decimal | None) -> Decimal:
    if room is None:
        return credits
    return max(ZERO, min(credits, room))


def count_addition(
    credits: Decimal,
    *,
    activity: Hashable,
    used_by_activity: Mapping[Hashable, Decimal],
    used_total: Decimal,
    caps: Mapping[Hashable, Decimal | None],
    submission_cap: Decimal | None,
) -> tuple[Decimal, StoppedBy | None]:
    """How much of `credits` still fits after what is already used, and the cap that stopped
    the rest."""
    cap = caps.get(activity)
    activity_room = None if cap is None else cap - used_by_activity.get(activity, ZERO)
    after_activity = _take(credits, activity_room)
    total_room = None if submission_cap is None else submission_cap - used_total
    counted = _take(after_activity, total_room)
    if after_activity < credits:
        return counted, StoppedBy.ACTIVITY_CAP
    if counted < after_activity:
        return counted, StoppedBy.SUBMISSION_CAP
    return counted, None


def count_year(
    entries: Iterable[Countable],
    *,
    caps: Mapping[Hashable, Decimal | None],
    submission_cap: Decimal | None,
) -> YearCount:
    """Count a year's entries under the activity caps and the submission cap."""
    used_by_activity: dict[Hashable, Decimal] = {}
    total = ZERO
    counted_entries = []
    for entry in sorted(entries, key=lambda e: e.order):
        counted, stopped_by = count_addition(
            entry.credits,
            activity=entry.activity,
            used_by_activity=used_by_activity,
            used_total=total,
            caps=caps,
            submission_cap=submission_cap,
        )
        used_by_activity[entry.activity] = used_by_activity.get(entry.activity, ZERO) + counted
        total += counted
        counted_entries.append(
            Counted(entry.key, entry.activity, entry.credits, counted, stopped_by)
        )
    return YearCount(tuple(counted_entries), total, used_by_activity)


def best_case_credits(*, counts: bool, undecided: bool, appealed: bool, claimed: Decimal,
                      approved: Decimal | None) -> Decimal | None:
    """What an entry would be worth if every decision still open on it went the holder's way,
    or None when nothing open could make it count. An entry awaiting a decision is approved as
    claimed; an appealed rejection counts its claim; an appealed adjustment wins back only the
    difference (it counts at its claim instead of the adjusted value); the rest as it stands."""
    if undecided:
        return claimed
    if counts:
        return claimed if appealed else (approved if approved is not None else claimed)
    return claimed if appealed else None


def best_case(entries: Iterable[Countable], *, caps: Mapping[Hashable, Decimal | None],
              submission_cap: Decimal | None) -> Decimal:
    """The most a year could count: its entries at their best-case credits
    (`best_case_credits`), counted in order under the activity caps and the submission cap.
    The close holds a year only when this reaches the requirement."""
    return count_year(entries, caps=caps, submission_cap=submission_cap).total


class Progress(StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"


# Nobody is at risk for not logging in the first LAG_DAYS of a year; anybody still short with
# fewer than AT_RISK_DAYS to its end is. `overview.year_at_risk` is the same rule in SQL.
AT_RISK_DAYS = 30
LAG_DAYS = 90


def progress(*, counted: Decimal, requirement: Decimal, starts_on: date, ends_on: date,
             today: date, at_risk_days: int = AT_RISK_DAYS,
             lag_days: int = LAG_DAYS) -> Progress:
    """Met; on track; or at risk: behind the pro-rata share of the requirement for the part of
    the year gone by less `lag_days` (nobody is at risk for not logging in the first weeks), or
    still short with the year's end less than `at_risk_days` away."""
    if counted >= requirement:
        return Progress.MET
    length = (ends_on - starts_on).days + 1
    elapsed = min(max((today - starts_on).days + 1 - lag_days, 0), length)
    behind = counted * length < requirement * elapsed
    if behind or (ends_on - today).days < at_risk_days:
        return Progress.AT_RISK
    return Progress.ON_TRACK


class YearEnd(StrEnum):
    """Where a certification year stands as its end is decided."""

    IN_PROGRESS = "in_progress"  # still open for reporting, short of the requirement
    MET = "met"
    EXEMPT = "exempt"  # no CPE required
    # Past its deadline short of the requirement and not closed: the close has yet to run, or
    # waits for entries awaiting a decision or an open appeal that could still make it met.
    HELD = "held"
    NOT_MET = "not_met"
    # A year of a decertified certification still open for reporting when it was decertified.
    STOPPED = "stopped"


def year_end(*, state: str, counted: Decimal, requirement: Decimal, deadline: date,
             today: date, decertified_on: date | None = None) -> YearEnd:
    """A year's end from its close state and its stored standing. A year past its deadline
    short of the requirement is never in progress: it is held until the close decides it, and
    not met once it has. Of a decertified certification, a year still open for reporting on
    the day of the decertification no longer counts."""
    if state == YearState.EXEMPT or requirement <= 0:
        return YearEnd.EXEMPT
    if state == YearState.MET:
        return YearEnd.MET
    if state == YearState.NOT_MET:
        return YearEnd.NOT_MET
    if counted >= requirement:
        return YearEnd.MET
    if decertified_on is not None:
        return YearEnd.STOPPED if deadline >= decertified_on else YearEnd.NOT_MET
    return YearEnd.IN_PROGRESS if today <= deadline else YearEnd.HELD

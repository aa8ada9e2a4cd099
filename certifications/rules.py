"""Certification years: pure functions over dates (no ORM, no clock).

Year 1 starts on the award date; year n starts on the (n-1)-th anniversary and ends the day
before the next one. An award on 29 February anniversaries on 28 February in common years.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal


@dataclass(frozen=True, order=True)
class YearWindow:
    number: int
    starts_on: date
    ends_on: date
    deadline: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.starts_on <= day <= self.ends_on


def takes_entry(window: YearWindow, *, activity_date: date, reported_on: date) -> bool:
    """Whether an entry belongs to this certification year: dated inside it and reported on or
    before its deadline (a year past its deadline never changes because of a later entry).
    `submissions.belonging` adds the certification's side (it collects CPE) and writes the same
    rule for queries."""
    return window.starts_on <= activity_date <= window.ends_on and reported_on <= window.deadline


def anniversary(awarded_on: date, years: int) -> date:
    """The `years`-th anniversary of an award (28 February for a leap-day award in common years)."""
    year = awarded_on.year + years
    try:
        return awarded_on.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def year_window(awarded_on: date, number: int, *, grace_days: int) -> YearWindow:
    if number < 1:
        raise ValueError("Certification years are numbered from 1.")
    starts_on = anniversary(awarded_on, number - 1)
    ends_on = anniversary(awarded_on, number) - timedelta(days=1)
    return YearWindow(number, starts_on, ends_on, ends_on + timedelta(days=grace_days))


def year_containing(awarded_on: date, day: date, *, grace_days: int) -> YearWindow | None:
    """The certification year that contains `day`, or None for a day before the award."""
    if day < awarded_on:
        return None
    number = day.year - awarded_on.year + 1
    # The anniversary in `day`'s calendar year may still be ahead of it.
    if anniversary(awarded_on, number - 1) > day:
        number -= 1
    return year_window(awarded_on, number, grace_days=grace_days)


def submission_cap(requirement: Decimal, starts_on: date, *, cap_from: date,
                   factor: Decimal) -> Decimal | None:
    """The most credits a year may count in total, or None for years without the cap."""
    if starts_on < cap_from:
        return None
    return requirement * factor


def close_outcome(*, required: Decimal, counted: Decimal,
                  best_case: Decimal | None = None) -> str:
    """How a year past its deadline closes (a `YearState` value): `exempt` when nothing is
    required, `met` when what counts reaches the requirement; `waiting` while the year's best
    case (what it would count if every decision still open went the holder's way, under every
    cap: `submissions.counting.best_case`) reaches it; otherwise `not_met`."""
    if required <= 0:
        return "exempt"
    if counted >= required:
        return "met"
    if best_case is not None and best_case >= required:
        return "waiting"
    return "not_met"

"""What an entry earns: pure functions over plain values (no ORM, no clock).

Credits are decimals with two places; where a rate divides, the result is rounded down, so a
holder is never credited more than they earned.
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_DOWN, Decimal
from typing import Any, TypeVar

from django.utils.formats import get_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .enums import RuleKind

CENT = Decimal("0.01")
QUARTER_HOUR = Decimal("0.25")
ZERO = Decimal("0.00")

T = TypeVar("T")


def round_down(value: Decimal) -> Decimal:
    """Two places, rounded toward zero."""
    return value.quantize(CENT, rounding=ROUND_DOWN)


def plain(value: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 100, 2.5, 0.25."""
    return format(value.normalize(), "f")


def credits_text(value: Decimal, *, always_places: bool = False) -> str:
    """Credits as holders read them: whole numbers bare (10), others with two places (2.50),
    or always with two places, with the active language's decimal separator."""
    whole = value == value.to_integral_value() and not always_places
    text = f"{value:.0f}" if whole else f"{value:.2f}"
    return text.replace(".", get_format("DECIMAL_SEPARATOR"))


def is_multiple_of(value: Decimal, step: Decimal) -> bool:
    return value % step == 0


@dataclass(frozen=True)
class Rule:
    """The part of an activity type that decides what an entry earns."""

    kind: RuleKind
    rate: Decimal
    unit_size: Decimal = Decimal("1")
    quantity_step: Decimal = Decimal("1")
    range_min: Decimal | None = None
    range_max: Decimal | None = None
    min_attendance_percent: int | None = None

    @property
    def needs_attendance(self) -> bool:
        return self.kind == RuleKind.PER_HOUR and self.min_attendance_percent is not None

    @property
    def input_fields(self) -> tuple[str, ...]:
        """The names of the inputs an entry of this rule must give."""
        if self.needs_attendance:
            return ("length_minutes", "attended_minutes")
        return {
            RuleKind.PER_HOUR: ("hours",),
            RuleKind.PER_UNIT: ("quantity",),
            RuleKind.FIXED: (),
            RuleKind.RANGE: ("proposed_credits",),
        }[self.kind]


@dataclass(frozen=True)
class Inputs:
    """What the holder says they did. Only the fields of the rule's kind are read."""

    hours: Decimal | None = None
    length_minutes: int | None = None
    attended_minutes: int | None = None
    quantity: Decimal | None = None
    proposed_credits: Decimal | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> "Inputs":
        """The inputs among a form's cleaned data (or any mapping of field names)."""
        return cls(**{name: data.get(name) for name in INPUT_FIELDS})

    def kept_for(self, rule: "Rule") -> "Inputs":
        """Only the inputs `rule` reads; the others are dropped."""
        return Inputs(**{name: getattr(self, name) for name in rule.input_fields})


# Every input any rule reads, in the order forms show them.
INPUT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Inputs))


@dataclass(frozen=True)
class Earning:
    credits: Decimal
    # Why an entry earns nothing, in the holder's words; empty when it earns something.
    reason: str = ""


class InvalidInput(ValueError):
    """An input that no rule accepts. `field` names the input, for a form to attach it to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _require(value: T | None, field: str, message: str) -> T:
    if value is None:
        raise InvalidInput(field, message)
    return value


def earned_credits(rule: Rule, inputs: Inputs) -> Earning:
    """The credits an entry earns under `rule`, or InvalidInput for inputs that make no sense."""
    if rule.needs_attendance:
        return _earned_for_attendance(rule, inputs)
    if rule.kind == RuleKind.PER_HOUR:
        hours = _require(inputs.hours, "hours", _("Enter the number of hours."))
        if hours <= 0 or not is_multiple_of(hours, QUARTER_HOUR):
            raise InvalidInput(
                "hours", _("Enter hours in quarter hours greater than zero, e.g. 1.25 or 2.5.")
            )
        return Earning(round_down(hours * rule.rate))
    if rule.kind == RuleKind.PER_UNIT:
        quantity = _require(inputs.quantity, "quantity", _("Enter how many you did."))
        if quantity <= 0 or not is_multiple_of(quantity, rule.quantity_step):
            if rule.quantity_step == 1:
                message = _("Enter a whole number greater than zero.")
            else:
                message = _("Enter a number greater than zero in steps of %(step)s.") % {
                    "step": plain(rule.quantity_step)
                }
            raise InvalidInput("quantity", message)
        return Earning(round_down(quantity * rule.rate / rule.unit_size))
    if rule.kind == RuleKind.FIXED:
        return Earning(round_down(rule.rate))
    # RuleKind.RANGE: the holder proposes a value within the bounds.
    proposed = _require(
        inputs.proposed_credits, "proposed_credits", _("Enter the credits you propose.")
    )
    low, high = rule.range_min or ZERO, rule.range_max or ZERO
    if not low <= proposed <= high or proposed != round_down(proposed):
        raise InvalidInput(
            "proposed_credits",
            _("Propose between %(low)s and %(high)s credits, with at most two decimals.")
            % {"low": plain(low), "high": plain(high)},
        )
    return Earning(round_down(proposed))


def _earned_for_attendance(rule: Rule, inputs: Inputs) -> Earning:
    length = _require(
        inputs.length_minutes, "length_minutes", _("Enter the length of the session in minutes.")
    )
    attended = _require(
        inputs.attended_minutes, "attended_minutes", _("Enter how many minutes you attended.")
    )
    if length <= 0:
        raise InvalidInput("length_minutes", _("The length must be more than zero minutes."))
    if attended < 0 or attended > length:
        raise InvalidInput(
            "attended_minutes",
            _("Minutes attended must be between 0 and the length of the session (%(length)d).")
            % {"length": length},
        )
    minimum = rule.min_attendance_percent or 0
    # Compare in whole numbers: attended / length >= minimum / 100.
    if attended * 100 < minimum * length:
        percent = attended * 100 // length
        return Earning(
            ZERO,
            _(
                "You attended %(percent)d %% of the session; at least %(minimum)d %% is "
                "needed to earn credits."
            )
            % {"percent": percent, "minimum": minimum},
        )
    quarters = length // 15
    if quarters == 0:
        return Earning(ZERO, _("A session shorter than a quarter of an hour earns nothing."))
    return Earning(round_down(Decimal(quarters) * QUARTER_HOUR * rule.rate))


def describe_rule(rule: Rule, *, unit_label: str = "", annual_cap: Decimal | None = None) -> str:
    """One line for a holder: what the activity earns and its cap."""
    rate = plain(rule.rate)
    if rule.needs_attendance:
        text = _("%(rate)s per hour of session length, if you attend at least %(min)d %%") % {
            "rate": rate,
            "min": rule.min_attendance_percent,
        }
    elif rule.kind == RuleKind.PER_HOUR:
        text = _("%(rate)s per hour") % {"rate": rate}
    elif rule.kind == RuleKind.PER_UNIT:
        text = _("%(rate)s per %(size)s %(unit)s") % {
            "rate": rate,
            "size": plain(rule.unit_size),
            "unit": unit_label,
        }
    elif rule.kind == RuleKind.FIXED:
        text = ngettext("%(rate)s credit", "%(rate)s credits", int(rule.rate)) % {"rate": rate}
    else:
        text = _("%(low)s to %(high)s credits") % {
            "low": plain(rule.range_min or ZERO),
            "high": plain(rule.range_max or ZERO),
        }
    if annual_cap is not None:
        text += _("; at most %(cap)s a year") % {"cap": plain(annual_cap)}
    return text


def amount_text(rule: Rule, inputs: Inputs, *, unit_label: str = "") -> str:
    """What a holder entered for an activity, in its unit, as a reviewer reads it: “250
    pages”, “3.5 hours”, “90 of 120 minutes attended”, “5.50 credits proposed”. Empty for a
    fixed activity, which has nothing to enter, or for inputs missing."""
    if rule.needs_attendance:
        if inputs.attended_minutes is None or inputs.length_minutes is None:
            return ""
        return ngettext("%(attended)d of %(length)d minute attended",
                        "%(attended)d of %(length)d minutes attended", inputs.length_minutes) % {
            "attended": inputs.attended_minutes, "length": inputs.length_minutes}
    if rule.kind == RuleKind.PER_HOUR and inputs.hours is not None:
        return ngettext("%(hours)s hour", "%(hours)s hours", 1 if inputs.hours == 1 else 2) % {
            "hours": plain(inputs.hours)}
    if rule.kind == RuleKind.PER_UNIT and inputs.quantity is not None:
        # Catalogue units are stored in English and translated where the translation has them.
        return f"{plain(inputs.quantity)} {_(unit_label) if unit_label else ''}".strip()
    if rule.kind == RuleKind.RANGE and inputs.proposed_credits is not None:
        return _("%(credits)s credits proposed") % {
            "credits": credits_text(inputs.proposed_credits, always_places=True)}
    return ""

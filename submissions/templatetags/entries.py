from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from activities.rules import credits_text
from submissions.enums import UNDECIDED_STATES, EntryState
from submissions.models import Entry
from submissions.selectors.overview import HeldYears, held_years
from submissions.selectors.review import waiting_entries

register = template.Library()


# (language, state) → its badge: a handful, the same on every row and every page.
_badges: dict[tuple[str | None, str], SafeString] = {}


@register.simple_tag
def state_badge(entry: Entry) -> SafeString:
    """An entry's state as a badge. A tag rather than an include: lists render it on every row,
    so each state's badge is made once per language (its label translated, escaped) and kept."""
    key = (get_language(), entry.state)
    badge = _badges.get(key)
    if badge is None:
        badge = _badges[key] = format_html('<span class="state state-{}">{}</span>',
                                           entry.state, EntryState(entry.state).label)
    return badge


@register.filter
def undecided(entry: Entry) -> bool:
    """Whether the entry waits for a reviewer's decision: it counts once decided. The group is
    named in `submissions.enums`, not spelt out in templates."""
    return entry.state in UNDECIDED_STATES


@register.filter
def credits(value: Decimal | None, places: str = "") -> str:
    """Credits as holders read them (activities.rules.credits_text; `|credits:2` always with
    two places): `floatformat` without its cost, which adds up on pages with many numbers."""
    if value is None:
        return ""
    return credits_text(value, always_places=places == "2")


@register.simple_tag
def entries_waiting() -> int:
    """How many entries wait for a decision (the admin index says so)."""
    return waiting_entries().count()


@register.simple_tag
def years_held() -> HeldYears:
    """How many years the close holds for decisions, and the oldest (the admin index)."""
    return held_years(today=timezone.localdate())

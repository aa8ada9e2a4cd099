from collections.abc import Iterable, Sequence
from decimal import Decimal

from django import template
from django.forms import BoundField
from django.utils import timezone
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from activities.rules import credits_text
from common.markup import date_text, path
from submissions.enums import UNDECIDED_STATES, EntryState
from submissions.models import Entry
from submissions.selectors.holder import ProofOwed
from submissions.selectors.overview import HeldYears, held_years
from submissions.selectors.review import waiting_entries

register = template.Library()


# (language, state) → its badge: a handful, the same on every row and every page.
_badges: dict[tuple[str | None, str], SafeString] = {}


@register.simple_tag
def state_badge(entry: Entry) -> SafeString:
    """An entry's state as a badge. A tag rather than an include: lists render it on every row,
    so each state's badge is made once per language (its label translated, escaped) and kept."""
    return _badge(entry.state)


def _badge(state: str) -> SafeString:
    key = (get_language(), state)
    badge = _badges.get(key)
    if badge is None:
        badge = _badges[key] = format_html('<span class="state state-{}">{}</span>',
                                           state, EntryState(state).label)
    return badge


# A stand-in id the entry URL is written with once, then split around.
_PK = 987654321
# One row of the holder's entry list; the template's indentation kept.
_ENTRY_ROW = ('\n          <tr>\n            <td>{}</td>'
              '\n            <td><a href="{}{}{}">{}</a></td>'
              '\n            <td>{}</td>\n            <td>{}</td>'
              '\n            <td class="text-end">{}</td>\n          </tr>\n        ')


@register.simple_tag
def entry_rows(entries: Iterable[tuple]) -> SafeString:
    """The rows of the holder's entry list (`holder_entries`' rows): date, title linking to the
    entry, type, state and credits. Written here rather than by a template loop, which cost
    more than the rest of the page: the entry URL is written once and each day formatted once
    per process."""
    prefix, _sep, suffix = path("submissions:entry_detail", _PK).partition(str(_PK))
    # Activity names repeat from row to row: each escaped once.
    names: dict[int, str] = {}
    rows = []
    for pk, activity_date, title, state, activity_type_id, activity_name, worth in entries:
        name = names.get(activity_type_id)
        if name is None:
            name = names[activity_type_id] = escape(activity_name)
        rows.append(_ENTRY_ROW.format(escape(date_text(activity_date)), prefix, pk, suffix,
                                      escape(title), name, _badge(state),
                                      escape(credits_text(worth, always_places=True))))
    return mark_safe("".join(rows))  # noqa: S308 (every value escaped above)


# One item of the dashboard's proof owed; the template's indentation kept.
_OWED_ITEM = ('\n          <li class="d-flex flex-wrap justify-content-between align-items-center'
              ' gap-2{}">\n            <span>{}</span>\n            <a class="btn btn-warning'
              ' btn-sm" href="{}{}{}#upload-proof">{}<span class="visually-hidden"> {}</span>'
              '</a>\n          </li>\n        ')


@register.simple_tag
def proof_owed_items(owed: Sequence[ProofOwed]) -> SafeString:
    """The dashboard's list of the entries waiting for the holder's proof, each with its
    credits, due date and upload link. Written here rather than by a template loop: a holder
    may owe proof of dozens of entries, and each item's translations cost more in template
    nodes than the rest of the card."""
    # Escaped already: kept as they are by format_html.
    prefix, _sep, suffix = (mark_safe(piece) for piece in  # noqa: S308
                            path("submissions:entry_detail", _PK).partition(str(_PK)))
    with_due = gettext("“%(title)s”: <strong>%(credits)s credits</strong> wait for your proof, "
                       "due by %(due)s.")
    without_due = gettext("“%(title)s”: <strong>%(credits)s credits</strong> wait for your "
                          "proof.")
    upload, upload_for = gettext("Upload proof"), gettext("for “%(title)s”")
    items = []
    for number, item in enumerate(owed, start=1):
        title = conditional_escape(item.title)
        values = {"title": title, "credits": conditional_escape(
            credits_text(item.credits, always_places=True))}
        if item.due_on:
            text = with_due % {**values, "due": conditional_escape(date_text(item.due_on))}
        else:
            text = without_due % values
        items.append(format_html(
            _OWED_ITEM, "" if number == len(owed) else " mb-2 pb-2 border-bottom",
            mark_safe(text), prefix, item.entry_id, suffix, upload,  # noqa: S308 (escaped)
            mark_safe(upload_for % {"title": title})))  # noqa: S308 (escaped above)
    return mark_safe("".join(items))  # noqa: S308 (each item is escaped by format_html)


# One of the dashboard's recent activities; the template's indentation kept.
_RECENT_ITEM = ('\n          <li class="list-group-item d-flex justify-content-between gap-2">'
                '\n            <span><a href="{}{}{}">{}</a><br><small class="text-body-secondary">'
                '{} · {}</small></span>\n            <span class="text-end"><strong>{}</strong>'
                '<br><small class="text-body-secondary">{}</small></span>\n          </li>'
                '\n        ')


@register.simple_tag
def recent_items(entries: Iterable[tuple]) -> SafeString:
    """The dashboard's latest activities: title linking to the entry, date, type, credits and
    state, as `entry_rows` writes the entry list's."""
    prefix, _sep, suffix = path("submissions:entry_detail", _PK).partition(str(_PK))
    worth_of = gettext("%(credits)s credits")
    return mark_safe("".join(  # noqa: S308 (every value escaped)
        _RECENT_ITEM.format(
            prefix, pk, suffix, escape(title), escape(date_text(activity_date)),
            escape(activity_name),
            worth_of % {"credits": escape(credits_text(worth, always_places=True))},
            escape(EntryState(state).label))
        for pk, activity_date, title, state, _type_id, activity_name, worth in entries))


# A filter of the entry list; the template's indentation kept.
_FILTER_SELECT = ('\n<div class="mb-3">\n  <label class="form-label" for="{id}">{label}</label>'
                  '\n  <select class="form-select" name="{name}" id="{id}">\n    {options}'
                  '\n  </select>\n</div>\n')


@register.simple_tag
def filter_select(field: BoundField, selected: str) -> SafeString:
    """One of the entry list's filters, a select of the field's choices with `selected`
    chosen. Written here rather than by a template loop over every activity and every year,
    on a page shown on every first view after a change."""
    options = "".join(
        '<option value="{}"{}>{}</option>'.format(
            escape(value), " selected" if str(value) == selected else "", escape(label))
        for value, label in field.field.choices)
    return mark_safe(_FILTER_SELECT.format(  # noqa: S308 (every value escaped)
        id=escape(field.id_for_label), label=escape(field.label), name=escape(field.html_name),
        options=options))


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

"""`{% path 'name' id %}`: `{% url %}` for the links every page has (the navigation, the
holder's pages), from URL patterns made once per process (`common.markup.path`) rather than
reversed on every request. Arguments are ids or UUIDs."""

from uuid import UUID

from django import template
from django.utils.safestring import SafeString, mark_safe

from common import markup

register = template.Library()


@register.simple_tag
def path(name: str, *args: int | UUID) -> SafeString:
    return mark_safe(markup.path(name, *args))  # noqa: S308 (escaped by markup.path)

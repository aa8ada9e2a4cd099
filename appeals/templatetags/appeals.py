from django import template

from appeals.enums import AppealState
from appeals.models import Appeal
from appeals.selectors import Agenda, open_agendas

register = template.Library()


@register.simple_tag
def appeals_without_meeting() -> int:
    """How many filed appeals have no Board meeting to go to (the admin index flags them)."""
    return Appeal.objects.filter(state=AppealState.FILED).count()


@register.simple_tag
def board_agendas() -> list[Agenda]:
    """The Board's open agendas, for the admin's front page (`appeals.selectors.open_agendas`)."""
    return open_agendas()

from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter

from django import template

from appeals.enums import AppealState
from appeals.models import Appeal, BoardMeeting

register = template.Library()


@register.simple_tag
def appeals_without_meeting() -> int:
    """How many filed appeals have no Board meeting to go to (the admin index flags them)."""
    return Appeal.objects.filter(state=AppealState.FILED).count()


@dataclass(frozen=True)
class Agenda:
    """A Board meeting and the appeals on its agenda that the Board has still to decide."""

    meeting: BoardMeeting
    appeals: list[Appeal]


@register.simple_tag
def board_agendas() -> list[Agenda]:
    """The meetings with appeals still to decide, by date, each with its appeals in the order
    they were filed (the admin index shows them to the Board). One query."""
    appeals = (Appeal.objects.filter(state=AppealState.SCHEDULED)
               .select_related("meeting", "denial__holder", "denial__entry",
                               "denial__certification__title")
               .order_by("meeting__meets_on", "filed_at", "pk"))
    return [Agenda(meeting, list(group))
            for meeting, group in groupby(appeals, key=attrgetter("meeting"))]

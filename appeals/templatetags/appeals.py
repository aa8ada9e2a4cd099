from django import template

from appeals.enums import AppealState
from appeals.models import Appeal

register = template.Library()


@register.simple_tag
def appeals_without_meeting() -> int:
    """How many filed appeals have no Board meeting to go to (the admin index flags them)."""
    return Appeal.objects.filter(state=AppealState.FILED).count()

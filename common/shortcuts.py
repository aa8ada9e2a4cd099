"""The one ownership check behind every holder URL."""

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

M = TypeVar("M", bound=Model)


def own_or_404(queryset: QuerySet[M], request: HttpRequest, holder_field: str = "holder",
               **lookup: object) -> M:
    """The object if it belongs to the signed-in holder; staff see every holder's. Another
    holder's object is a 404, never a 403 that would say it exists."""
    if not request.user.is_staff:
        lookup[holder_field] = request.user
    return get_object_or_404(queryset, **lookup)

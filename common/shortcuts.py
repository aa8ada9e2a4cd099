"""The one ownership check behind every holder URL, and lazily computed page contexts."""

import operator
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.functional import SimpleLazyObject

from .middleware import passed_two_factor

M = TypeVar("M", bound=Model)


def own_or_404(queryset: QuerySet[M], request: HttpRequest, holder_field: str = "holder",
               **lookup: object) -> M:
    """The object if it belongs to the signed-in holder; staff see every holder's, on the terms
    the admin shows them: with the permission to view such objects and a session that passed
    two-factor authentication. Another holder's object is a 404, never a 403 that would say it
    exists."""
    if not _staff_may_view(request, queryset.model):
        lookup[holder_field] = request.user
    return get_object_or_404(queryset, **lookup)


def _staff_may_view(request: HttpRequest, model: type[Model]) -> bool:
    user = request.user
    return (user.is_staff
            and user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}")
            and passed_two_factor(request))


def computed_on_use(compute: Callable[[], Mapping[str, Any]],
                    names: Iterable[str]) -> dict[str, Any]:
    """A template context whose values `compute` makes once, when the template first uses one
    of them: a page served from a `{% cache %}` fragment never reads them at all."""
    values = SimpleLazyObject(lambda: dict(compute()))
    return {name: SimpleLazyObject(partial(operator.getitem, values, name)) for name in names}

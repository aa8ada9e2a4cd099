"""The one ownership check behind every holder URL, and lazily computed page contexts."""

import operator
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
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


def private_download(file: FieldFile, *, filename: str, content_type: str) -> FileResponse:
    """A stored private file as an attachment, never cached, never sniffed: proof and appeal
    documents, once the caller has checked who asks. A file missing from storage is a 404."""
    try:
        handle = file.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404 from error
    response = FileResponse(handle, as_attachment=True, filename=filename,
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

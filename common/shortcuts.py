"""The ownership checks behind every holder URL, one to read and one to write, and lazily
computed page contexts."""

import operator
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from .middleware import Refused, passed_two_factor

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


def own_for_write_or_404(queryset: QuerySet[M], request: HttpRequest, *, page: str,
                         refuse: Callable[[M], str | None], holder_field: str = "holder",
                         **lookup: object) -> M:
    """The object if the signed-in holder may change it now: theirs, and `refuse(object)`
    gives no reason why not.

    Found as `own_or_404` finds it: another holder's object is a 404. Staff who may read it
    are refused (a holder's records are theirs to change; staff decide in the admin), and so
    is the owner whose object cannot be changed now, with `refuse`'s reason: raises `Refused`,
    which sends them to the object's page (the URL named `page`, with the object's id) with
    that reason."""
    obj = own_or_404(queryset, request, holder_field=holder_field, **lookup)
    url = reverse(page, args=[obj.pk])
    if _holder_id(obj, holder_field) != request.user.pk:
        raise Refused(_("Only the holder can change this; staff decide on it in the admin."),
                      url=url)
    reason = refuse(obj)
    if reason:
        raise Refused(reason, url=url)
    return obj


def _holder_id(obj: Model, holder_field: str) -> object:
    *path, field = holder_field.split("__")
    for name in path:
        obj = getattr(obj, name)
    return getattr(obj, f"{field}_id")


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


def download_name(name: str, *, default: str = "download") -> str:
    """A file name a browser may save a download under: the last part of `name`, without
    control characters (a line break would end the header) or leading dots; `default` when
    nothing is left."""
    name = "".join(c for c in name.replace("\\", "/").rsplit("/", 1)[-1]
                   if unicodedata.category(c)[0] != "C")
    return name.strip().lstrip(".").strip() or default


def private_download(file: FieldFile, *, filename: str, content_type: str) -> FileResponse:
    """A stored private file as an attachment, never cached, never sniffed: proof and appeal
    documents, once the caller has checked who asks. Streamed from the private storage,
    whichever it is (a folder, or object storage that has no file path). A file missing from
    storage is a 404."""
    try:
        handle = file.open("rb")
    except (FileNotFoundError, ValueError) as error:
        raise Http404 from error
    response = FileResponse(handle, as_attachment=True, filename=download_name(filename),
                            content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

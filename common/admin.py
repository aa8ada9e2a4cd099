"""Admin pieces shared by the apps."""

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest


class ReadOnlyInline(admin.TabularInline):
    """Rows only the services write (audit trails, private files, an agenda): shown, never
    edited, added or deleted here. `select_related` names what the rows show of other tables."""

    extra = 0
    max_num = 0
    can_delete = False
    select_related: tuple[str, ...] = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple:
        return tuple(self.fields or ())

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related(*self.select_related)

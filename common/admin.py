"""Admin pieces shared by the apps."""

import json

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model, QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.functional import cached_property
from simple_history.admin import SimpleHistoryAdmin


class ReadOnlyInline(admin.TabularInline):
    """Rows only the services write (audit trails, private files, an agenda): shown, never
    edited, added or deleted here. `select_related` names what the rows show of other tables."""

    template = "admin/edit_inline/read_only_table.html"
    extra = 0
    max_num = 0
    can_delete = False
    select_related: tuple[str, ...] = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> tuple:
        return tuple(self.fields or ())

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related(*self.select_related)

    # A posted inline form would write around the services, whatever its fields show.
    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class HistoryAdmin(SimpleHistoryAdmin):
    """A model's history, to read: who changed what, when and why. No past version is put back
    ("revert"): that would write around the service that keeps the model's rules, and for a
    catalogue or level it would skip the recount a change there sets off."""

    def revert_disabled(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return True

    def history_form_view(self, request: HttpRequest, object_id: str, version_id: str,
                          extra_context: dict | None = None) -> HttpResponse:
        # simple_history saves a posted past version even with its revert button hidden.
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        return super().history_form_view(request, object_id, version_id, extra_context)



class EstimatedCountPaginator(Paginator):
    """A changelist paginator that never counts a big table row by row on every page.

    It counts exactly up to `exact_up_to` rows, reading at most one more than that, so a small
    table or a selective filter gets its exact number. Past that, on PostgreSQL, the total is
    the planner's estimate: `pg_class.reltuples` of the table for an unfiltered list, the row
    estimate of the list's query (EXPLAIN) for a filtered one. `estimated` then says so, and the
    changelist shows "about" before the number. Other databases count exactly.

    With it, a ModelAdmin sets `show_full_result_count = False` too: the "(N total)" beside a
    filtered count would count the whole table again.
    """

    exact_up_to = 10_000

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.estimated = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet) or connections[queryset.db].vendor != "postgresql":
            return super().count
        rows = queryset.order_by().values("pk")
        # COUNT(*) over a subquery that stops after exact_up_to + 1 rows.
        counted = rows[:self.exact_up_to + 1].count()
        if counted <= self.exact_up_to:
            return counted
        estimate = _estimate(rows)
        self.estimated = True
        # The planner may think a list smaller than it is: it has more rows than were counted.
        return max(estimate, counted)


def _estimate(rows: QuerySet) -> int:
    """The planner's idea of how many rows `rows` has."""
    with connections[rows.db].cursor() as cursor:
        if not rows.query.where:
            # The whole table: its row count as of the last ANALYZE (autovacuum keeps it).
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
                           [connections[rows.db].ops.quote_name(rows.model._meta.db_table)])
            found = cursor.fetchone()
            # -1 (or nothing) when the table was never analyzed.
            return int(found[0]) if found and found[0] > 0 else 0
        sql, params = rows.query.sql_with_params()
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])


def message_form_errors(request: HttpRequest, form: Form) -> None:
    """Show a posted form's errors as messages on the page it returns to (a decision posted
    from a change page that does not render the form again)."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)

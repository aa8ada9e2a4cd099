"""The project's URLs, plus the baseline the benchmark compares every page with: a signed-in
request that reads the session and the user and renders nothing; and, beside the real entry
admin, the entry admin with the lines a big table wants (`BigTableEntryAdmin`), so that the admin
benchmark shows what they change."""

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET

from common.admin import EstimatedCountPaginator
from submissions.admin import EntryAdmin
from submissions.models import Entry


@login_required
@require_GET
def signed_in(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


class BigTableEntryAdmin(EntryAdmin):
    # No COUNT(*) over the whole table on every page: an estimate past 10,000 rows.
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    # The date hierarchy reads every entry's year (SELECT DISTINCT over the table) on every
    # page; a date filter offers fixed ranges without a query.
    date_hierarchy = None
    list_filter = (*EntryAdmin.list_filter, "activity_date")


big_tables = admin.AdminSite(name="bench_admin")
big_tables.register(Entry, BigTableEntryAdmin)

urlpatterns = [
    path("bench/signed-in/", signed_in, name="bench_signed_in"),
    path("bench/admin/", big_tables.urls),
    path("", include("cpe_portal.urls")),
]

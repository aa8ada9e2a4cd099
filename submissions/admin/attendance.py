"""The attendance import page of the entry admin: a reviewer uploads a webinar's attendance
list and sees what became of each row. The work is `submissions.attendance`'s; this module is
the form, the view and its URL."""

from datetime import date

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..attendance import (
    COLUMNS,
    MAX_FILE_BYTES,
    AttendancePlan,
    import_attendance,
    plan_attendance,
    read_attendance_file,
    webinar_minimum_percent,
)

PERMISSION = "submissions.import_attendance"
# The page imports while the reviewer waits: about as many rows as it logs within a web
# server's 30-second timeout on a busy machine. Longer lists go through the command.
ADMIN_MAX_ROWS = 1_000
URL_NAME = "submissions_entry_import_attendance"
# A file can hold a problem on every row: the page lists this many and counts the rest.
SHOWN_PROBLEMS = 200


class AttendanceImportForm(forms.Form):
    """An attendance list to import. What the file holds decides, not its name: it must be
    UTF-8 CSV text with the expected columns, every row correct."""

    file = forms.FileField(
        label=gettext_lazy("Attendance list (CSV)"),
        # An empty file gets our own message, which says what the file needs.
        allow_empty_file=True,
    )

    def __init__(self, *args: object, today: date, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "A CSV file, UTF-8, comma separated, with the header line: %(header)s. Dates as "
            "YYYY-MM-DD, minutes as whole numbers. At most %(rows)s rows and %(mb)d MB; an "
            "operator can import longer lists with the import_attendance command."
        ) % {"header": ", ".join(COLUMNS),
             "rows": number_format(ADMIN_MAX_ROWS, force_grouping=True),
             "mb": MAX_FILE_BYTES // (1024 * 1024)}
        self.today = today
        self.plan: AttendancePlan | None = None

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        # Read one byte past the limit: enough to know the file is too large, never more.
        upload.seek(0)
        data = upload.read(MAX_FILE_BYTES + 1)
        try:
            self.plan = plan_attendance(read_attendance_file(data), today=self.today,
                                        max_rows=ADMIN_MAX_ROWS)
        except ValidationError as error:
            problems = error.messages
            if len(problems) > SHOWN_PROBLEMS:
                problems = [*problems[:SHOWN_PROBLEMS], _(
                    "… and %(count)d more problems.") % {"count": len(problems) - SHOWN_PROBLEMS}]
            raise ValidationError(problems) from error
        return upload


def attendance_import_view(request: HttpRequest, model_admin: admin.ModelAdmin) -> HttpResponse:
    """Upload an attendance list, import it, and show the report. The report is the answer to
    the post itself: posting the same file again imports nothing twice."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    today = timezone.localdate()
    report = None
    if request.method == "POST":
        form = AttendanceImportForm(request.POST, request.FILES, today=today)
        if form.is_valid() and form.plan is not None:
            report = import_attendance(plan=form.plan, reviewer=request.user, today=today)
            form = AttendanceImportForm(today=today)
    else:
        form = AttendanceImportForm(today=today)
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Import webinar attendance"),
        "opts": opts,
        "app_label": opts.app_label,
        "form": form,
        "report": report,
        "minimum_percent": webinar_minimum_percent(),
    }
    return TemplateResponse(request, "admin/submissions/attendance_import.html", context)


def attendance_import_urls(model_admin: admin.ModelAdmin) -> list[URLPattern]:
    """The import page's URL, for the entry admin's `get_urls` (behind the admin's sign-in)."""
    view = model_admin.admin_site.admin_view(
        lambda request: attendance_import_view(request, model_admin))
    return [path("import-attendance/", view, name=URL_NAME)]

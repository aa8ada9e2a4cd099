"""Import of a webinar's attendance list: rows of email, webinar title, webinar date, webinar
minutes and attended minutes, which a reviewer uploads in the admin (or an operator passes to
`manage.py import_attendance`).

Two steps. Reading the file (`read_attendance_file`, `plan_attendance`) is pure: no database,
no clock. It checks every row first and reports the problems of the whole file together, so a
malformed file imports nothing. Importing (`import_attendance`) then takes the rows in file
order and logs an entry for each holder who attended long enough, through the same service as
the log form, so every rule a holder meets (dates, closed years, caps) holds for an import too.
Rows that log nothing are reported with the reason: attendance below the minimum, an unknown
email, a refusal by the rules, or a webinar already logged.

The same row imported twice logs one entry. Each imported entry carries a form token derived
from the webinar (its title and date) and the database allows a token once per holder, so a
second import of the row, or of a corrected file with the row in it, finds the first entry.
"""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.outbox import queue_mail
from activities.models import ActivityType
from activities.rules import plain
from common.csvfiles import HEADER_ROW, csv_records, past_date, row_problem
from common.mail import site_url

from .assessment import Share
from .counting import StoppedBy
from .enums import EntryState
from .models import Entry
from .services import EntryDetails, assess_inputs, log_entry
from .standings.recount import lock_holders

COLUMNS = ("email", "webinar title", "webinar date", "webinar minutes", "attended minutes")
WEBINAR_ACTIVITY = "attend-webinar"
# A large webinar has a few thousand attendees; a file beyond these limits is more likely a
# wrong file than one list. Each row is logged like a holder's own entry (some 20 to 60 rows a
# second), so the admin page takes less than this (ADMIN_MAX_ROWS), to answer within a web
# server's timeout; larger lists go through the `import_attendance` command.
MAX_ROWS = 20_000
MAX_FILE_BYTES = 5 * 1024 * 1024
# The longest webinar a row may report: a longer one is a typing error in the file.
MAX_WEBINAR_MINUTES = 24 * 60
TITLE_MAX_LENGTH = Entry._meta.get_field("title").max_length
EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length
# Rows are numbered as a spreadsheet shows them: the header is row 1.
FIRST_ROW = 2
WHOLE_NUMBER = re.compile(r"[0-9]+")
# Imported entries' form tokens are UUIDs version 5 in this namespace: they never equal the
# random (version 4) tokens of the log form.
TOKEN_NAMESPACE = uuid.UUID("5b0f7c1e-7d43-4a8e-9a55-3c0e2f6d9b21")


# --- Reading the file (pure) -----------------------------------------------------------------

@dataclass(frozen=True)
class AttendanceRow:
    """One checked row of an attendance list."""

    number: int
    # Lower case, as accounts store it.
    email: str
    title: str
    webinar_date: date
    webinar_minutes: int
    attended_minutes: int

    @property
    def webinar_key(self) -> str:
        """The webinar, whatever the case and spacing of its title in this file."""
        return f"{self.title.casefold()}|{self.webinar_date.isoformat()}"

    @property
    def token(self) -> uuid.UUID:
        """The form token of this webinar's entry. The database keeps a token once per holder,
        so the email need not be part of it (and a holder who changes their email address
        still has the webinar logged once)."""
        return uuid.uuid5(TOKEN_NAMESPACE, self.webinar_key)

    def attended_percent(self) -> int:
        return self.attended_minutes * 100 // self.webinar_minutes

    def attended_enough(self, minimum_percent: int) -> bool:
        # In whole numbers: attended / length >= minimum / 100.
        return self.attended_minutes * 100 >= minimum_percent * self.webinar_minutes


@dataclass(frozen=True)
class AttendancePlan:
    """What a checked file asks for: its rows in file order."""

    rows: tuple[AttendanceRow, ...]


def _header_line() -> str:
    return ", ".join(COLUMNS)


def read_attendance_file(data: bytes) -> str:
    """The text of an uploaded attendance list. Raises ValidationError for a file that is
    empty, too large, or not UTF-8 text (with or without a byte-order mark)."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError([_(
            "the file is larger than %(max)d MB: split it into smaller files."
        ) % {"max": MAX_FILE_BYTES // (1024 * 1024)}])
    try:
        # utf-8-sig: spreadsheets saving "CSV UTF-8" start the file with a byte-order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError([_(
            "the file is not UTF-8 text (byte %(byte)d cannot be read): save it as "
            "\"CSV UTF-8\" and upload it again."
        ) % {"byte": error.start}]) from error
    if "\x00" in text:
        # Spreadsheets and PDFs decode as text now and then; a CSV file never holds NUL.
        raise ValidationError([_(
            "the file is not a CSV text file: save the attendance list as \"CSV UTF-8\"."
        )])
    return text


def _records(text: str) -> list[list[str]]:
    return csv_records(text, empty=_(
        "the file is empty: it needs the header line %(header)s and one row per attendee."
    ) % {"header": _header_line()})


def _column_name(raw: str) -> str:
    return " ".join(raw.split()).casefold()


def _header_problems(header: list[str]) -> list[str]:
    problems = []
    if len(header) == 1 and ";" in header[0]:
        return [row_problem(HEADER_ROW, _(
            "the columns are separated by semicolons: save the file with commas between "
            "the columns."))]
    repeated = sorted({name for name in header if header.count(name) > 1 and name})
    problems += [row_problem(HEADER_ROW, _("column '%(column)s' appears more than once")
                          % {"column": name}) for name in repeated]
    problems += [row_problem(HEADER_ROW, _("missing column '%(column)s'") % {"column": column})
                 for column in COLUMNS if column not in header]
    problems += [row_problem(HEADER_ROW, _("unexpected column '%(column)s'") % {"column": name})
                 for name in dict.fromkeys(header) if name and name not in COLUMNS]
    problems += [row_problem(HEADER_ROW, _("column %(number)d has no name") % {"number": number})
                 for number, name in enumerate(header, start=1) if not name]
    return problems


def _minutes(raw: str, what: str, *, least: int) -> tuple[int | None, str]:
    """Whole minutes from `least` to a day (MAX_WEBINAR_MINUTES), or None and the problem."""
    if not raw:
        return None, _("%(what)s is empty") % {"what": what}
    if not WHOLE_NUMBER.fullmatch(raw):
        return None, _("%(what)s '%(value)s' is not a whole number of minutes") % {
            "what": what, "value": raw}
    # Judged by its digits before int(): a number of thousands of digits is more than int()
    # parses, and any number past a day is a typing error, not a webinar.
    digits = raw.lstrip("0") or "0"
    if len(digits) > len(str(MAX_WEBINAR_MINUTES)) or not least <= int(digits) <= \
            MAX_WEBINAR_MINUTES:
        return None, _("%(what)s must be between %(least)d and %(max)d") % {
            "what": what, "least": least, "max": MAX_WEBINAR_MINUTES}
    return int(digits), ""


def _parse_row(number: int, values: dict[str, str], today: date) -> tuple[AttendanceRow | None,
                                                                          list[str]]:
    email, title, webinar_date, webinar_minutes, attended_minutes = (
        values[column] for column in COLUMNS)
    problems = []
    if not email:
        problems.append(_("email is empty"))
    else:
        try:
            if len(email) > EMAIL_MAX_LENGTH:
                raise ValidationError(email)
            validate_email(email)
        except ValidationError:
            problems.append(_("invalid email address '%(email)s'") % {"email": email})
    title = " ".join(title.split())
    if not title:
        problems.append(_("webinar title is empty"))
    elif len(title) > TITLE_MAX_LENGTH:
        problems.append(_("webinar title is longer than %(max)d characters")
                        % {"max": TITLE_MAX_LENGTH})
    day, date_problem = past_date(webinar_date, today=today, what=_("webinar date"))
    length, length_problem = _minutes(webinar_minutes, _("webinar minutes"), least=1)
    attended, attended_problem = _minutes(attended_minutes, _("attended minutes"), least=0)
    problems += [problem for problem in (date_problem, length_problem, attended_problem)
                 if problem]
    if length is not None and attended is not None and attended > length:
        problems.append(_("attended minutes (%(attended)d) are more than the webinar's "
                          "minutes (%(length)d)") % {"attended": attended, "length": length})
    if problems or day is None or length is None or attended is None:
        return None, [row_problem(number, problem) for problem in problems]
    return AttendanceRow(number, email.lower(), title, day, length, attended), []


def plan_attendance(text: str, *, today: date, max_rows: int = MAX_ROWS) -> AttendancePlan:
    """Check the text of an attendance list and return its rows.

    The header names the columns in any order, with any case and surrounding spaces. Raises
    ValidationError listing every problem with its row number (the header being row 1): missing,
    repeated or unexpected columns, short or long rows, empty values, an email address that is
    not one, a date that is not a real day as YYYY-MM-DD or lies after `today`, minutes that are
    not whole numbers (webinar minutes from 1 to a day, attended minutes from 0 to the webinar's
    minutes), or more than `max_rows` rows.
    """
    records = _records(text)
    header = [_column_name(name) for name in records[0]]
    # Spreadsheets pad the header with empty cells too.
    while header and not header[-1]:
        header.pop()
    problems = _header_problems(header)
    if problems:
        # With the columns wrong, every row would repeat the same complaint.
        raise ValidationError(problems)
    body = records[1:]
    if not body:
        raise ValidationError([_("there are no rows to import below the header.")])
    if len(body) > max_rows:
        raise ValidationError([_(
            "the file has %(rows)d rows; at most %(max)d can be imported at once: split it "
            "into smaller files.") % {"rows": len(body), "max": max_rows}])
    rows: list[AttendanceRow] = []
    for number, values in enumerate(body, start=FIRST_ROW):
        stripped = [value.strip() for value in values]
        # Spreadsheets pad rows with empty cells; only a surplus that says something is wrong.
        if any(stripped[len(header):]):
            problems.append(row_problem(number, _("more values than the header has columns")))
            continue
        if not any(stripped):
            problems.append(row_problem(number, _("the row is empty")))
            continue
        if len(stripped) < len(header):
            missing = header[len(stripped):]
            problems.append(row_problem(number, _("no value for %(columns)s")
                                     % {"columns": ", ".join(missing)}))
            continue
        row, row_problems = _parse_row(number, dict(zip(header, stripped, strict=False)),
                                       today)
        problems += row_problems
        if row is not None:
            rows.append(row)
    if problems:
        raise ValidationError(problems)
    return AttendancePlan(tuple(rows))


# --- Importing (the database) ----------------------------------------------------------------

class Outcome(models.TextChoices):
    CREATED = "created", gettext_lazy("logged")
    BELOW_MINIMUM = "below_minimum", gettext_lazy("attended too little")
    UNKNOWN_EMAIL = "unknown_email", gettext_lazy("unknown email")
    REFUSED = "refused", gettext_lazy("refused by the rules")
    DUPLICATE = "duplicate", gettext_lazy("duplicate")


@dataclass(frozen=True)
class RowResult:
    row: AttendanceRow
    outcome: Outcome
    # Why nothing was logged, in a reviewer's words; empty for a logged row.
    message: str = ""
    # The entry logged, or the one already there for a duplicate of an earlier import or entry.
    entry_id: int | None = None
    credits: Decimal | None = None
    # The entry logged by this row (none for a duplicate): its holder's mail lists it.
    entry: Entry | None = None


@dataclass(frozen=True)
class AttendanceReport:
    """What an import did with each row, in file order."""

    results: tuple[RowResult, ...]

    def of(self, outcome: Outcome) -> list[RowResult]:
        return [result for result in self.results if result.outcome == outcome]

    @property
    def created(self) -> list[RowResult]:
        return self.of(Outcome.CREATED)

    @property
    def below_minimum(self) -> list[RowResult]:
        return self.of(Outcome.BELOW_MINIMUM)

    @property
    def unknown_email(self) -> list[RowResult]:
        return self.of(Outcome.UNKNOWN_EMAIL)

    @property
    def refused(self) -> list[RowResult]:
        return self.of(Outcome.REFUSED)

    @property
    def duplicates(self) -> list[RowResult]:
        return self.of(Outcome.DUPLICATE)

    def groups(self) -> list[tuple[Outcome, list[RowResult]]]:
        """Every outcome with its rows (possibly none), in the order of Outcome."""
        return [(outcome, self.of(outcome)) for outcome in Outcome]

    def summary(self) -> str:
        return _(
            "Rows: %(rows)d. Logged: %(created)d. Attended too little: %(below)d. Unknown "
            "email: %(unknown)d. Refused by the rules: %(refused)d. Duplicate: %(duplicates)d."
        ) % {"rows": len(self.results), "created": len(self.created),
             "below": len(self.below_minimum), "unknown": len(self.unknown_email),
             "refused": len(self.refused), "duplicates": len(self.duplicates)}


def _holders_by_email(emails: Sequence[str]) -> dict[str, User]:
    # Lower(email) is what the unique constraint indexes, so this lookup uses it.
    return {
        user.email.lower(): user
        for user in User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=sorted(set(emails)))
    }


def _already_logged(holder: User, row: AttendanceRow,
                    webinar: ActivityType) -> RowResult | None:
    """The row as a duplicate when its webinar is already among the holder's entries: imported
    before (found by its token alone, whatever has been edited since, withdrawn included, so
    that an import never brings back what the holder withdrew), or logged by the holder with
    the same title and date."""
    earlier = (
        Entry.objects.filter(holder=holder)
        .filter(Q(form_token=row.token)
                | (Q(activity_type=webinar, activity_date=row.webinar_date,
                     title__iexact=row.title) & ~Q(state=EntryState.WITHDRAWN)))
        .order_by("logged_at", "pk").only("pk", "form_token").first()
    )
    if earlier is None:
        return None
    if earlier.form_token == row.token:
        message = _("already imported (entry %(entry)d)") % {"entry": earlier.pk}
    else:
        message = _("the holder already logged this webinar (entry %(entry)d)") % {
            "entry": earlier.pk}
    return RowResult(row, Outcome.DUPLICATE, message, entry_id=earlier.pk)


def _import_row(row: AttendanceRow, holder: User, webinar: ActivityType, *, reviewer: User,
                today: date) -> RowResult:
    # Inside the holder's transaction (`_import_holder`): a savepoint, so that a refused row
    # leaves the holder's other rows as they are.
    with transaction.atomic():
        duplicate = _already_logged(holder, row, webinar)
        if duplicate is not None:
            return duplicate
        details = EntryDetails.from_data({
            "activity_type": webinar, "activity_date": row.webinar_date, "title": row.title,
            "provider": _("Attendance import"), "length_minutes": row.webinar_minutes,
            "attended_minutes": row.attended_minutes,
            # The certification body's own attendance list vouches for the webinar: the
            # holder has not confirmed its relevance, the body that runs it has.
            "relevance_confirmed": True,
        })
        try:
            entry = log_entry(holder=holder, details=details, today=today, by=reviewer,
                              form_token=row.token)
        except ValidationError as error:
            return RowResult(row, Outcome.REFUSED,
                             _staff_refusal(holder, details, today=today, error=error))
    return RowResult(row, Outcome.CREATED, entry_id=entry.pk, credits=entry.claimed_credits,
                     entry=entry)


def _holder_name(holder: User) -> str:
    return holder.full_name or holder.email


def _staff_refusal(holder: User, details: EntryDetails, *, today: date,
                   error: ValidationError) -> str:
    """Why the rules refused a row, written to the staff member reading the report (the
    service's own message speaks to the holder at the log form)."""
    try:
        _kept, assessment = assess_inputs(
            holder=holder, activity_type=details.activity_type,
            activity_date=details.activity_date, inputs=details.inputs, today=today)
    except ValidationError:
        return " ".join(error.messages)
    names = {"holder": _holder_name(holder), "date": date_format(details.activity_date)}
    counting = [c for c in assessment.certifications if c.collects_cpe]
    if not any(c.is_active for c in assessment.certifications):
        return _("Holder %(holder)s has no active certification to log CPE for.") % names
    if not counting:
        return _("Holder %(holder)s's certifications require no CPE, so there is nothing to "
                 "log.") % names
    first_award = min(c.awarded_on for c in counting)
    if details.activity_date < first_award:
        return _("The webinar of %(date)s took place before holder %(holder)s's first "
                 "certification was awarded (%(award)s).") % {
                     **names, "award": date_format(first_award)}
    if not assessment.shares:
        deadline = max(w.deadline for c in counting
                       if (w := c.year_containing(details.activity_date)))
        return _("Holder %(holder)s's certification year that contains %(date)s closed for "
                 "reporting on %(deadline)s; nothing can be logged for it any more.") % {
                     **names, "deadline": date_format(deadline)}
    if assessment.refusal and all(share.counted == 0 for share in assessment.shares):
        return " ".join(_staff_cap_message(details.activity_type, share, names)
                        for share in assessment.shares) + " " + _(
            "The webinar would not count for anything.")
    return " ".join(error.messages)


def _staff_cap_message(activity_type: ActivityType, share: Share, names: dict) -> str:
    names = {**names, "title": share.certification.title.name,
             "start": date_format(share.window.starts_on),
             "end": date_format(share.window.ends_on), "cap": plain(share.cap or 0),
             "activity": activity_type.name}
    if share.stopped_by == StoppedBy.SUBMISSION_CAP:
        return _("The annual submission cap of %(cap)s credits is already reached in holder "
                 "%(holder)s's %(title)s year from %(start)s to %(end)s.") % names
    return _("The annual cap of %(cap)s credits for “%(activity)s” is already reached in "
             "holder %(holder)s's %(title)s year from %(start)s to %(end)s.") % names


@transaction.atomic
def _import_holder(holder: User, rows: list[AttendanceRow], webinar: ActivityType, *,
                   reviewer: User, today: date) -> list[RowResult]:
    """One holder's rows, in file order, in one transaction under the holder's lock, with the
    one mail that lists the entries logged for them."""
    # Under the holder's lock, nothing else logs for them between the look and the log.
    lock_holders([holder.pk])
    results = [_import_row(row, holder, webinar, reviewer=reviewer, today=today)
               for row in rows]
    logged = [result.entry for result in results if result.entry is not None]
    if logged:
        queue_mail("entries_imported", to=holder, context={
            "entries": [(entry, site_url("submissions:entry_detail", entry.pk))
                        for entry in logged],
            "imported_on": today})
    return results


def webinar_minimum_percent() -> int:
    """The share of a webinar a holder must attend for it to earn credits."""
    minimum = (ActivityType.objects.filter(code=WEBINAR_ACTIVITY)
               .values_list("min_attendance_percent", flat=True).first())
    return minimum or 0


def import_attendance(*, plan: AttendancePlan, reviewer: User, today: date) -> AttendanceReport:
    """Log the webinar of each row of a checked attendance list for its holder, in file order,
    as if the holder had logged it on `today`, recorded as logged by `reviewer`.

    A row is logged when its email is a holder's (ignoring case) who attended at least the
    webinar activity's minimum share of it; it logs nothing, and the report says why, when it
    repeats an earlier row of the file, names an unknown email, attended too little, names a
    webinar already imported for the holder (or one the holder logged themselves with the same
    title and date), or is refused by `log_entry` (with why, written to staff: a closed year,
    no certification, a full cap). Each holder's rows are one transaction under the holder's
    lock, so holders can log meanwhile and an import cut short can simply be run again.

    Side effects per logged row, those of `log_entry`: the entry, its first state change by
    `reviewer`, and the recount of the stored standings; per holder with entries logged, one
    mail listing them, written to the outbox in the holder's transaction.
    """
    webinar = ActivityType.objects.filter(code=WEBINAR_ACTIVITY).first()
    if webinar is None:
        raise ValidationError([_(
            "the activity catalogue has no webinar activity ('%(code)s'): nothing can be "
            "imported.") % {"code": WEBINAR_ACTIVITY}])
    minimum = webinar.min_attendance_percent or 0
    holders = _holders_by_email([row.email for row in plan.rows])
    first_rows: dict[tuple[str, str], int] = {}
    results: dict[int, RowResult] = {}
    to_import: dict[str, list[AttendanceRow]] = {}
    for row in plan.rows:
        first = first_rows.setdefault((row.email, row.webinar_key), row.number)
        holder = holders.get(row.email)
        if first != row.number:
            results[row.number] = RowResult(row, Outcome.DUPLICATE, _(
                "the same webinar for the same email as row %(row)d") % {"row": first})
        elif holder is None:
            results[row.number] = RowResult(row, Outcome.UNKNOWN_EMAIL, _(
                "no holder has the email address %(email)s") % {"email": row.email})
        elif not row.attended_enough(minimum):
            results[row.number] = RowResult(row, Outcome.BELOW_MINIMUM, _(
                "attended %(attended)d of %(length)d minutes (%(percent)d %%); at least "
                "%(minimum)d %% is needed") % {
                "attended": row.attended_minutes, "length": row.webinar_minutes,
                "percent": row.attended_percent(), "minimum": minimum})
        else:
            to_import.setdefault(row.email, []).append(row)
    for email, rows in to_import.items():
        for result in _import_holder(holders[email], rows, webinar, reviewer=reviewer,
                                     today=today):
            results[result.row.number] = result
    return AttendanceReport(tuple(results[row.number] for row in plan.rows))

"""Import of certified holders from the certification body's register: rows of
email, full name, title code and award date.

An import is all or nothing. Every row is checked before anything is written, and the problems
of the whole file are reported together, so an operator fixes the file once and runs it again
instead of untangling half an import. Running the same rows again changes nothing.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import mark_email_verified
from common.csvfiles import HEADER_ROW, csv_records, past_date, row_problem

from .models import CertificationTitle
from .services import award_certification

COLUMNS = ("email", "full_name", "title_code", "awarded_on")
# Rows are numbered as a spreadsheet shows them: the header is row 1.
FIRST_ROW = 2

RawRow = Mapping[str | None, object]


@dataclass(frozen=True)
class ImportResult:
    rows: int = 0
    holders_created: int = 0
    # Full name corrected, or the email address newly made verified and primary.
    holders_updated: int = 0
    certifications_created: int = 0
    certifications_updated: int = 0
    # Rows that wrote nothing: holder and certification were already as the row says.
    unchanged: int = 0

    def summary(self) -> str:
        return _(
            "Imported %(rows)d rows: %(holders_created)d holders created, %(holders_updated)d "
            "holders updated, %(certifications_created)d certifications created, "
            "%(certifications_updated)d certifications updated, %(unchanged)d unchanged."
        ) % {
            "rows": self.rows, "holders_created": self.holders_created,
            "holders_updated": self.holders_updated,
            "certifications_created": self.certifications_created,
            "certifications_updated": self.certifications_updated,
            "unchanged": self.unchanged,
        }


@dataclass(frozen=True)
class _Row:
    number: int
    email: str
    full_name: str
    title: CertificationTitle
    awarded_on: date


def read_csv(text: str) -> list[dict[str | None, object]]:
    """Turn the text of a CSV file into one dict per row, keyed by the header's column names.

    A row with more values than the header keeps the surplus under the key None; a short row
    has None for the missing values; a blank line inside the file stays as an empty row, so
    every row keeps the number a spreadsheet shows. Raises ValidationError for a file without a
    header, with a column named twice, or that is not CSV.
    """
    records = csv_records(text, empty=_(
        "the file is empty: it needs the header line %(header)s and one row per certification."
    ) % {"header": ",".join(COLUMNS)})

    header = [name.strip() for name in records[0]]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ValidationError([
            row_problem(HEADER_ROW, _("column '%(column)s' appears more than once")
                     % {"column": name})
            for name in repeated
        ])
    rows: list[dict[str | None, object]] = []
    for values in records[1:]:
        row: dict[str | None, object] = {
            name: values[i] if i < len(values) else None for i, name in enumerate(header)
        }
        if len(values) > len(header):
            row[None] = values[len(header):]
        rows.append(row)
    return rows


def _header_problems(first: RawRow) -> list[str]:
    names = [name for name in first if name is not None]
    problems = [
        row_problem(HEADER_ROW, _("missing column '%(column)s'") % {"column": column})
        for column in COLUMNS if column not in names
    ]
    problems += [
        row_problem(HEADER_ROW, _("unexpected column '%(column)s'") % {"column": name})
        for name in names if name not in COLUMNS
    ]
    return problems


def _parse_row(
    number: int, raw: RawRow, titles: dict[str, CertificationTitle], today: date
) -> tuple[_Row | None, list[str]]:
    values = {column: raw.get(column) for column in COLUMNS}
    surplus = raw.get(None)
    # Spreadsheets pad rows with empty cells; only a surplus that says something is wrong.
    if isinstance(surplus, list) and any(str(value).strip() for value in surplus):
        return None, [row_problem(number, _("more values than the header has columns"))]
    if all(value is None or not str(value).strip() for value in values.values()):
        return None, [row_problem(number, _("the row is empty"))]
    missing = [column for column, value in values.items() if value is None]
    if missing:
        return None, [row_problem(number, _("no value for %(columns)s")
                               % {"columns": ", ".join(missing)})]
    email, full_name, code, awarded = (str(values[column]).strip() for column in COLUMNS)

    problems = []
    if not email:
        problems.append(_("email is empty"))
    else:
        try:
            if len(email) > User._meta.get_field("email").max_length:
                raise ValidationError(email)
            validate_email(email)
        except ValidationError:
            problems.append(_("invalid email address '%(email)s'") % {"email": email})
    name_length = User._meta.get_field("full_name").max_length
    if not full_name:
        problems.append(_("full name is empty"))
    elif len(full_name) > name_length:
        problems.append(_("full name is longer than %(max)d characters") % {"max": name_length})
    title = titles.get(code)
    if not code:
        problems.append(_("title code is empty"))
    elif title is None:
        problems.append(_("unknown title code '%(code)s'") % {"code": code})
    elif not title.active:
        problems.append(_("title code '%(code)s' is retired and can no longer be awarded")
                        % {"code": code})
    awarded_on, date_problem = past_date(awarded, today=today, what=_("award date"))
    if date_problem:
        problems.append(date_problem)

    if problems or title is None or awarded_on is None:
        return None, [row_problem(number, problem) for problem in problems]
    return _Row(number, email.lower(), full_name, title, awarded_on), []


def _conflicts(rows: list[_Row]) -> list[str]:
    """Rows that contradict an earlier row of the same file: the file must say one thing."""
    problems = []
    first_of_holder: dict[str, _Row] = {}
    first_of_certification: dict[tuple[str, int], _Row] = {}
    for row in rows:
        earlier = first_of_holder.setdefault(row.email, row)
        if earlier.full_name != row.full_name:
            problems.append(row_problem(row.number, _(
                "full name '%(name)s' for %(email)s differs from '%(earlier)s' in row %(row)d"
            ) % {"name": row.full_name, "email": row.email, "earlier": earlier.full_name,
                 "row": earlier.number}))
        earlier = first_of_certification.setdefault((row.email, row.title.pk), row)
        if earlier.awarded_on != row.awarded_on:
            problems.append(row_problem(row.number, _(
                "%(code)s for %(email)s is listed again with a different award date "
                "(%(earlier)s in row %(row)d)"
            ) % {"code": row.title.code, "email": row.email,
                 "earlier": earlier.awarded_on.isoformat(), "row": earlier.number}))
    return problems


def _holders_by_email(emails: Iterable[str]) -> dict[str, User]:
    # Lower(email) is what the unique constraint indexes, so this lookup uses it.
    return {
        user.email.lower(): user
        for user in User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=list(emails))
    }


def _claimed_elsewhere(rows: list[_Row]) -> list[str]:
    """Rows whose email another account has verified: allauth allows one owner per verified
    address, and signing that person in as the imported holder would hand over the account."""
    holders = _holders_by_email(row.email for row in rows)
    owners: dict[str, set[int]] = {}
    for address in EmailAddress.objects.annotate(email_lower=Lower("email")).filter(
        email_lower__in=[row.email for row in rows], verified=True
    ):
        owners.setdefault(address.email.lower(), set()).add(address.user_id)
    problems = []
    reported: set[str] = set()
    for row in rows:
        holder = holders.get(row.email)
        others = owners.get(row.email, set()) - {holder.pk if holder else None}
        if others and row.email not in reported:
            reported.add(row.email)
            problems.append(row_problem(row.number, _(
                "%(email)s is a verified address of another account"
            ) % {"email": row.email}))
    return problems


def _save_holder(row: _Row, existing: User | None) -> tuple[User, bool, bool]:
    """The holder of a row, created or brought up to date: (holder, created, updated)."""
    if existing is None:
        holder = User(email=row.email, full_name=row.full_name)
        # Imported holders set their own password through the reset link.
        holder.set_unusable_password()
        holder.full_clean()
        holder.save()
        mark_email_verified(user=holder, email=row.email)
        return holder, True, False
    changed_fields = []
    if existing.full_name != row.full_name:
        existing.full_name = row.full_name
        changed_fields.append("full_name")
    if existing.email != row.email:
        existing.email = row.email
        changed_fields.append("email")
    if changed_fields:
        existing.full_clean()
        existing.save(update_fields=changed_fields)
    verified_now = mark_email_verified(user=existing, email=row.email)
    return existing, False, bool(changed_fields) or verified_now


def import_certified_holders(*, rows: Iterable[RawRow], today: date) -> ImportResult:
    """Create or update holders and their certifications from register rows with the keys
    email, full_name, title_code and awarded_on (an ISO date, not after `today`).

    Every row is checked first; if any is wrong, ValidationError lists every problem with its
    row number (the header being row 1) and nothing is written. Otherwise, in one transaction:
    holders are created (unusable password) or their full name corrected, their email becomes
    a verified primary allauth address, and each certification is awarded or its award date
    corrected through `award_certification`, which lays its certification years up to `today`.
    """
    raw_rows = list(rows)
    if not raw_rows:
        raise ValidationError([_("there are no rows to import")])
    header_problems = _header_problems(raw_rows[0])
    if header_problems:
        # With the columns wrong, every row would repeat the same complaint.
        raise ValidationError(header_problems)

    titles = {title.code: title for title in CertificationTitle.objects.all()}
    parsed: list[_Row] = []
    problems: list[str] = []
    for number, raw in enumerate(raw_rows, start=FIRST_ROW):
        row, row_problems = _parse_row(number, raw, titles, today)
        problems += row_problems
        if row is not None:
            parsed.append(row)
    problems += _conflicts(parsed)
    problems += _claimed_elsewhere(parsed)
    if problems:
        raise ValidationError(problems)
    return _write(parsed, today)


@transaction.atomic
def _write(rows: list[_Row], today: date) -> ImportResult:
    existing = _holders_by_email(row.email for row in rows)
    saved: dict[str, User] = {}
    counts = dict.fromkeys(
        ("holders_created", "holders_updated", "certifications_created",
         "certifications_updated", "unchanged"), 0)
    for row in rows:
        changed = False
        holder = saved.get(row.email)
        if holder is None:
            holder, created, updated = _save_holder(row, existing.get(row.email))
            saved[row.email] = holder
            counts["holders_created"] += created
            counts["holders_updated"] += updated
            changed = created or updated
        had_certification = holder.certifications.filter(title=row.title).exists()
        _certification, awarded = award_certification(
            holder=holder, title=row.title, awarded_on=row.awarded_on, today=today
        )
        if awarded:
            key = "certifications_updated" if had_certification else "certifications_created"
            counts[key] += 1
        counts["unchanged"] += not (changed or awarded)
    return ImportResult(rows=len(rows), **counts)

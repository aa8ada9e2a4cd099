"""Reading the CSV files staff upload (certified holders, webinar attendance): the rules every
import shares, so that each reports a bad file in the same words, with the row number a
spreadsheet shows."""

import csv
import io
import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

HEADER_ROW = 1
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def row_problem(row: int, problem: str) -> str:
    return _("row %(row)d: %(problem)s") % {"row": row, "problem": problem}


def csv_records(text: str, *, empty: str) -> list[list[str]]:
    """The records of a CSV text, blank lines at its end dropped. Raises ValidationError with
    `empty` for a file with no records, and with the row number for one that is not CSV."""
    # Strict: a quote left open would otherwise swallow the rest of the file into one value.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = list(reader)
    except csv.Error as error:
        raise ValidationError([row_problem(reader.line_num, _("not valid CSV (%(error)s)")
                                           % {"error": error})]) from error
    # Editors and spreadsheets leave empty lines (or lines of commas) at the end of a file.
    while records and not any(value.strip() for value in records[-1]):
        records.pop()
    if not records:
        raise ValidationError([empty])
    return records


def past_date(raw: str, *, today: date, what: str) -> tuple[date | None, str]:
    """A YYYY-MM-DD date no later than today, or None and the problem, naming the column as
    `what` ("webinar date")."""
    if not raw:
        return None, _("%(what)s is empty") % {"what": what}
    try:
        if not ISO_DATE.fullmatch(raw):
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        return None, _("invalid %(what)s '%(value)s' (use YYYY-MM-DD, a real day)") % {
            "what": what, "value": raw}
    if day > today:
        return None, _("%(what)s %(date)s is in the future") % {
            "what": what, "date": day.isoformat()}
    return day, ""

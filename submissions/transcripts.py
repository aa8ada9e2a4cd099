"""A certification year's transcript, as CSV and as PDF, for a holder's employer."""

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from html import escape

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .selectors.holder import YearDetail

# A spreadsheet reads a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """Text a spreadsheet shows as typed, never runs: OWASP's advice against CSV injection is a
    single quote before a cell that starts like a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


# `text` is applied to every text cell (what holders and administrators typed, and our labels);
# credits are written as they are. `day` writes a date: as ISO in the CSV, where a spreadsheet
# reads and sorts it, and in the portal's one date style in the PDF, which people read.
Text = Callable[[str], str]
Day = Callable[[date], str]


def _iso(day: date) -> str:
    return day.isoformat()


def _rows(detail: YearDetail, text: Text = str, day: Day = _iso) -> list[list[str]]:
    return [
        [
            day(entry.activity_date),
            text(entry.activity_type.name),
            text(entry.title),
            text(entry.provider),
            text(entry.get_state_display()),
            f"{entry.claimed_credits:.2f}",
            f"{detail.counted(entry):.2f}",
        ]
        for entry in detail.entries
    ]


def _header(text: Text = str) -> list[str]:
    return [text(label) for label in (_("Date"), _("Activity"), _("Title"), _("Provider"),
                                      _("State"), _("Claimed"), _("Counted"))]


def _summary(detail: YearDetail, text: Text = str, day: Day = _iso) -> list[tuple[str, str]]:
    standing = detail.standing
    certification = standing.certification
    window = standing.window
    return [
        (text(_("Holder")), text(certification.holder.full_name)),
        (text(_("Certification")),
         text(f"{certification.title.name} ({certification.title.level.name})")),
        (text(_("Certification year")), text(_("%(number)d: %(start)s to %(end)s") % {
            "number": window.number, "start": day(window.starts_on),
            "end": day(window.ends_on)})),
        (text(_("Reporting deadline")), day(window.deadline)),
        (text(_("Required")), f"{standing.requirement:.2f}"),
        (text(_("Counted")), f"{standing.counted:.2f}"),
        (text(_("Requirement met")), text(_("yes") if standing.met else _("no"))),
    ]


def _claimed_total(detail: YearDetail) -> Decimal:
    return sum((e.claimed_credits for e in detail.entries), Decimal("0"))


def transcript_csv(detail: YearDetail) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for label, value in _summary(detail, spreadsheet_text):
        writer.writerow([label, value])
    writer.writerow([])
    writer.writerow(_header(spreadsheet_text))
    writer.writerows(_rows(detail, spreadsheet_text))
    writer.writerow(["", spreadsheet_text(_("Total")), "", "", "",
                     f"{_claimed_total(detail):.2f}", f"{detail.standing.counted:.2f}"])
    return out.getvalue()


def transcript_pdf(detail: YearDetail) -> bytes:
    styles = getSampleStyleSheet()
    cell = styles["BodyText"].clone("cell", fontSize=8, leading=10)
    buffer = io.BytesIO()
    certification = detail.standing.certification
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
        bottomMargin=15 * mm, title=_("CPE transcript"), author="CPE Portal",
        subject=certification.title.name,
    )
    summary = Table([[label, value] for label, value in _summary(detail, day=formats.date_format)],
                    colWidths=[45 * mm, None], hAlign="LEFT")
    summary.setStyle(TableStyle([("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold")]))
    # Paragraph reads markup: what holders typed is escaped so it prints as typed.
    rows = [[Paragraph(escape(text), cell) for text in row]
            for row in _rows(detail, day=formats.date_format)]
    total = ["", Paragraph(f"<b>{_('Total')}</b>", cell), "", "", "",
             f"{_claimed_total(detail):.2f}", f"{detail.standing.counted:.2f}"]
    entries = Table([_header(), *rows, total], repeatRows=1,
                    colWidths=[20 * mm, 38 * mm, 45 * mm, 27 * mm, 20 * mm, 15 * mm, 15 * mm])
    entries.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
        ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black),
        ("ALIGN", (5, 0), (6, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story = [
        Paragraph(_("CPE transcript"), styles["Title"]),
        summary,
        Spacer(1, 6 * mm),
        entries if detail.entries else Paragraph(_("No activities in this year."),
                                                 styles["BodyText"]),
        Spacer(1, 6 * mm),
        Paragraph(_("Issued %(date)s by CPE Portal.") % {
            "date": formats.date_format(detail.standing.today)}, styles["Italic"]),
    ]
    document.build(story)
    return buffer.getvalue()

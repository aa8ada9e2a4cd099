import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from submissions.selectors.holder import year_detail
from submissions.transcripts import transcript_csv, transcript_pdf
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def detail():
    holder = UserFactory(full_name="Hanna de Vries")
    certification = CertificationFactory(holder=holder, awarded_on=date(2025, 1, 1))
    EntryFactory(holder=holder, title="Threat modelling <course> & more",
                 activity_date=date(2025, 2, 1), hours=Decimal("12"),
                 claimed_credits=Decimal("12"))
    EntryFactory(holder=holder, activity_type=activity("read-books"), title="Security Engineering",
                 activity_date=date(2025, 3, 1), hours=None, quantity=Decimal("250"),
                 claimed_credits=Decimal("2.50"), state="pending_approval")
    return year_detail(certification=certification, number=1, today=date(2025, 6, 1))


def test_transcript_csv_has_every_entry_and_the_total(detail):
    rows = list(csv.reader(io.StringIO(transcript_csv(detail))))
    entries = rows[rows.index(["Date", "Activity", "Title", "Provider", "State", "Claimed",
                               "Counted"]) + 1:]
    assert [(r[0], r[2], r[5], r[6]) for r in entries] == [
        ("2025-02-01", "Threat modelling <course> & more", "12.00", "12.00"),
        ("2025-03-01", "Security Engineering", "2.50", "0.00"),
        ("", "", "14.50", "12.00"),
    ]
    assert ["Holder", "Hanna de Vries"] in rows
    assert ["Requirement met", "no"] in rows


def test_transcript_pdf_opens_and_reads(detail):
    text = " ".join(PdfReader(io.BytesIO(transcript_pdf(detail))).pages[0].extract_text().split())
    for expected in ("CPE transcript", "Hanna de Vries", "Information Security Practitioner",
                     "Threat modelling <course> & more", "Security Engineering", "14.50",
                     "12.00", "Total", "1 January 2025 to 31 December 2025",
                     "1 February 2025"):
        assert expected in text
    assert "2025-" not in text


@pytest.mark.parametrize("typed", [
    '=HYPERLINK("http://evil.example","x")', "+1+2", "-2+3", "@SUM(A1:A2)", "\tTabbed",
    "\rReturned",
])
def test_transcript_csv_neutralises_formulas_holders_typed(typed):
    holder = UserFactory(full_name=typed)
    certification = CertificationFactory(holder=holder, awarded_on=date(2025, 1, 1))
    EntryFactory(holder=holder, title=typed, provider=typed, activity_date=date(2025, 2, 1),
                 hours=Decimal("2"), claimed_credits=Decimal("2"))
    detail = year_detail(certification=certification, number=1, today=date(2025, 6, 1))

    rows = list(csv.reader(io.StringIO(transcript_csv(detail))))

    entry = rows[rows.index(["Date", "Activity", "Title", "Provider", "State", "Claimed",
                             "Counted"]) + 1]
    assert entry == ["2025-02-01", "Other course relevant to the field", f"'{typed}",
                     f"'{typed}", "submitted", "2.00", "2.00"]
    assert ["Holder", f"'{typed}"] in rows


def test_transcript_csv_keeps_text_that_starts_harmlessly(detail):
    rows = list(csv.reader(io.StringIO(transcript_csv(detail))))

    assert ["Required", "20.00"] in rows
    assert "Threat modelling <course> & more" in [row[2] for row in rows if len(row) > 2]

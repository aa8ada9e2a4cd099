"""Filing, scheduling and deciding appeals: the services, at their boundaries."""

import unicodedata
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import OutboxMessage
from appeals.enums import AppealState
from appeals.models import Appeal, BoardMeeting
from appeals.rules import pdf_pages, words
from appeals.services import decide_appeal, file_appeal, schedule_waiting_appeals
from certifications.enums import CertificationStatus, YearState
from certifications.models import CertificationYear
from certifications.services import ensure_certification_years
from submissions.enums import DenialKind, EntryState
from submissions.models import Denial
from submissions.review import reject_entry
from tests.appeals.test_rules import pdf_bytes
from tests.factories import CertificationFactory, EntryFactory, UserFactory, title
from tests.staff import make_staff
from yearend.closing import close_certification_years

pytestmark = pytest.mark.django_db

DENIED_ON = date(2025, 4, 1)


def pdf(pages: int, *, password: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile("rationale.pdf", pdf_bytes(pages, password=password),
                              content_type="application/pdf")


@pytest.fixture
def certification():
    certification = CertificationFactory(title=title("ISP"), awarded_on=date(2024, 3, 1))
    ensure_certification_years(today=date(2025, 4, 1), certifications=[certification])
    return certification


@pytest.fixture
def rejected(certification):
    """A 6-credit course of year 2, rejected on 1 April 2025."""
    entry = EntryFactory(holder=certification.holder, activity_date=date(2025, 3, 10),
                         hours=D("6"), claimed_credits=D("6"), title="Cloud course")
    reject_entry(entry=entry, by=make_staff("Reviewer"), reason="Not relevant",
                 today=DENIED_ON)
    return Denial.objects.get(entry=entry)


def file(denial, *, today: date = DENIED_ON + timedelta(days=3), **fields) -> Appeal:
    """The holder files on `today`, at noon in Amsterdam."""
    with time_machine.travel(f"{today.isoformat()} 12:00 +02:00", tick=False):
        return file_appeal(denial=denial, by=denial.holder, today=today,
                           **({"rationale": "It was relevant to my field."} | fields))


@pytest.mark.parametrize(("days", "accepted"), [(90, True), (91, False)])
def test_appeal_window_counts_day_90_in(rejected, days, accepted):
    if accepted:
        assert file(rejected, today=DENIED_ON + timedelta(days=days)).state == AppealState.FILED
    else:
        with pytest.raises(ValidationError, match="The time to appeal this decision ended on "
                                                  "30 June 2025"):
            file(rejected, today=DENIED_ON + timedelta(days=days))


def test_words_are_counted_as_a_reader_would():
    assert words("I don't agree — the follow-up, ISO-27001 course; was relevant! 42") == 10
    assert words("  -- . ,  ") == 0


@pytest.mark.parametrize(("text", "count"), [
    # An accent written as a letter and a combining mark (NFD) is as one letter (NFC).
    ("re\u0301sume\u0301 of a nai\u0308ve cafe\u0301", 5),
    ("r\u00e9sum\u00e9 of a na\u00efve caf\u00e9", 5),
    ("e\u0301\u0301", 1),
    # Vowel signs and viramas are marks inside a Devanagari word.
    ("\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e", 2),
    # Single hyphens join the parts of one word; two in a row are a dash between two words.
    ("state-of-the-art", 1),
    ("well--known", 2),
    ("-- leading and trailing --", 3),
    # Written without spaces: each character is a word, as a word processor counts it.
    ("\u6211\u4e0d\u540c\u610f", 4),
])
def test_words_count_one_word_in_any_unicode_form_and_script(text, count):
    assert words(text) == count


@given(st.text())
def test_words_are_the_same_in_every_canonical_unicode_form(text):
    assert words(unicodedata.normalize("NFD", text)) == words(unicodedata.normalize("NFC", text))


@pytest.mark.parametrize("rationale", ["...", " -- !? ", "\u2014 \u00bf? \u2026"])
def test_rationale_of_punctuation_only_is_refused(rejected, rationale):
    with pytest.raises(ValidationError, match="Your rationale has no words"):
        file(rejected, rationale=rationale)

    assert not Appeal.objects.exists()


@pytest.mark.parametrize(("count", "accepted"), [(1000, True), (1001, False)])
def test_rationale_of_1000_words_is_accepted_and_1001_refused(rejected, count, accepted):
    text = " ".join(["relevant"] * count)
    if accepted:
        assert file(rejected, rationale=text).rationale == text
    else:
        with pytest.raises(ValidationError, match="Your rationale has 1001 words; the limit is "
                                                  "1000"):
            file(rejected, rationale=text)
        assert not Appeal.objects.exists()


def hand_written_pdf(objects: dict[int, bytes]) -> SimpleUploadedFile:
    """A PDF of the numbered `objects` (1 is the catalogue), with its cross-reference table,
    written byte by byte as a hostile one would be."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    xref, size = len(out), max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[number] for number in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return SimpleUploadedFile("rationale.pdf", bytes(out), content_type="application/pdf")


CATALOGUE = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def deep_page_tree(levels: int) -> SimpleUploadedFile:
    """One page under `levels` page-tree nodes, each the only kid of the one above."""
    nodes = {2 + level: b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % (3 + level)
             for level in range(levels)}
    return hand_written_pdf({1: CATALOGUE, **nodes, 2 + levels: PAGE})


def wide_page_tree(kids: int) -> SimpleUploadedFile:
    """One page tree node whose kids are the same page `kids` times."""
    return hand_written_pdf({
        1: CATALOGUE, 2: b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b"3 0 R " * kids, kids),
        3: PAGE})


def truncated_pdf() -> SimpleUploadedFile:
    whole = pdf(1).read()
    return SimpleUploadedFile("rationale.pdf", whole[:len(whole) // 2])


def test_hand_written_pdfs_are_read_when_within_the_limits():
    assert len(deep_page_tree(3).read()) < 1000
    assert len(wide_page_tree(200_000).read()) < 2 * 1024 * 1024

    assert pdf_pages(deep_page_tree(3).read()) == 1
    assert pdf_pages(wide_page_tree(2).read()) == 2


@pytest.mark.parametrize(("upload", "message"), [
    (lambda: pdf(3), "The PDF has 3 pages; a rationale is at most 2."),
    (lambda: SimpleUploadedFile("r.pdf", b"Dear Board, I disagree."), "not a PDF that can be"),
    (lambda: pdf(1, password="secret"), "password-protected"),
    (lambda: deep_page_tree(3000), "not a PDF that can be read"),
    (lambda: wide_page_tree(200_000), "not a PDF that can be read"),
    (truncated_pdf, "not a PDF that can be read"),
    (lambda: SimpleUploadedFile("r.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 40),
     "not a PDF that can be read"),
    (lambda: hand_written_pdf({1: CATALOGUE, 2: b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"}),
     "not a PDF that can be read"),
])
def test_rationale_pdf_outside_the_rules_is_refused(rejected, upload, message):
    with pytest.raises(ValidationError, match=message):
        file(rejected, rationale="", rationale_pdf=upload())
    assert not Appeal.objects.exists()


def test_rationale_pdf_that_is_corrupt_is_refused_and_nothing_saved(rejected):
    # A real PDF cut short: it starts as a PDF and cannot be read.
    truncated = pdf(2).read()[:300]

    with pytest.raises(ValidationError, match="The file is not a PDF that can be read"):
        file(rejected, rationale="",
             rationale_pdf=SimpleUploadedFile("r.pdf", truncated, content_type="application/pdf"))

    assert not Appeal.objects.exists()


def test_rationale_pdf_of_two_pages_is_accepted(rejected):
    appeal = file(rejected, rationale="", rationale_pdf=pdf(2))

    assert appeal.rationale_pdf.name.startswith("appeals/")


def test_a_second_appeal_on_the_same_denial_is_refused(rejected):
    file(rejected)

    with pytest.raises(ValidationError, match="appealed already"):
        file(rejected)
    assert Appeal.objects.count() == 1


def test_another_holder_cannot_appeal_a_denial(rejected):
    with pytest.raises(ValidationError, match="only your own"):
        file_appeal(denial=rejected, by=UserFactory(), today=DENIED_ON,
                    rationale="Not mine.")


def test_a_filed_appeal_goes_to_the_first_meeting_after_the_preparation_period(rejected):
    BoardMeeting.objects.create(meets_on=DENIED_ON + timedelta(days=5))  # too soon
    later = BoardMeeting.objects.create(meets_on=DENIED_ON + timedelta(days=10))
    BoardMeeting.objects.create(meets_on=DENIED_ON + timedelta(days=40))

    appeal = file(rejected, today=DENIED_ON)

    assert (appeal.state, appeal.meeting) == (AppealState.SCHEDULED, later)
    assert sorted(OutboxMessage.objects.values_list("kind", flat=True)) == [
        "appeal_filed", "appeal_scheduled", "entry_rejected"]


def test_an_appeal_without_a_meeting_is_scheduled_once_one_is_added(rejected):
    appeal = file(rejected)
    assert (appeal.state, appeal.meeting) == (AppealState.FILED, None)

    meeting = BoardMeeting.objects.create(meets_on=date(2025, 6, 1))
    assert schedule_waiting_appeals(today=date(2025, 4, 10)) == 1
    assert schedule_waiting_appeals(today=date(2025, 4, 10)) == 0

    appeal.refresh_from_db()
    assert (appeal.state, appeal.meeting) == (AppealState.SCHEDULED, meeting)
    assert OutboxMessage.objects.filter(kind="appeal_scheduled").count() == 1


def test_upheld_on_a_rejected_entry_raises_the_counted_credits(rejected, certification):
    year = CertificationYear.objects.get(certification=certification, number=2)
    assert year.counted_credits == D("0")
    appeal = file(rejected)

    decide_appeal(appeal=appeal, by=make_staff("Board"), upheld=True,
                  reason="The course was relevant.", credits=D("5"))

    year.refresh_from_db()
    assert year.counted_credits == D("5")
    rejected.entry.refresh_from_db()
    assert (rejected.entry.state, rejected.entry.approved_credits) == (EntryState.APPROVED,
                                                                       D("5"))
    assert OutboxMessage.objects.filter(kind="appeal_decided").count() == 1


def test_dismissed_changes_nothing_but_the_appeal(rejected, certification):
    appeal = file(rejected)

    decided = decide_appeal(appeal=appeal, by=make_staff("Board"), upheld=False,
                            reason="Not relevant to the field.")

    assert decided.state == AppealState.DISMISSED
    rejected.entry.refresh_from_db()
    assert rejected.entry.state == EntryState.REJECTED
    assert CertificationYear.objects.get(certification=certification,
                                         number=2).counted_credits == D("0")


def test_a_decided_appeal_cannot_be_changed(rejected):
    appeal = file(rejected)
    board = make_staff("Board")
    decide_appeal(appeal=appeal, by=board, upheld=False, reason="Not relevant.")

    with pytest.raises(ValidationError, match="final"):
        decide_appeal(appeal=appeal, by=board, upheld=True, reason="On second thought.")
    appeal.refresh_from_db()
    assert appeal.state == AppealState.DISMISSED


def test_upheld_on_a_decertification_restores_the_certification_and_its_badge(client):
    certification = CertificationFactory(title=title("ISP"), awarded_on=date(2024, 3, 1))
    ensure_certification_years(today=date(2025, 3, 1), certifications=[certification])
    close_certification_years(today=date(2025, 3, 31))
    denial = Denial.objects.get(kind=DenialKind.DECERTIFIED)
    certification.refresh_from_db()
    assert certification.status == CertificationStatus.DECERTIFIED

    appeal = file(denial, today=date(2025, 4, 2))
    decide_appeal(appeal=appeal, by=make_staff("Board"), upheld=True,
                  reason="Credits were lost in the old system.")

    certification.refresh_from_db()
    assert (certification.status, certification.decertified_on) == (
        CertificationStatus.ACTIVE, None)
    assert CertificationYear.objects.get(certification=certification,
                                         number=1).state == YearState.MET
    page = client.get(f"/verify/{certification.badge_id}/").content.decode()
    assert "Active" in page
    assert "Revoked" not in page


def test_a_meeting_added_in_the_admin_schedules_the_waiting_appeals(rejected, admin_client):
    appeal = file(rejected)

    with time_machine.travel("2025-04-10 10:00 +02:00", tick=False):
        response = admin_client.post("/admin/appeals/boardmeeting/add/", {
            "meets_on": "2025-06-01", "location": "Utrecht", "notes": "",
            "appeals-TOTAL_FORMS": "0", "appeals-INITIAL_FORMS": "0"})

    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == AppealState.SCHEDULED
    assert appeal.meeting.meets_on == date(2025, 6, 1)

"""Missed proof deadlines, and proof past retention."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from accounts.models import OutboxMessage
from appeals.enums import AppealState
from appeals.models import Appeal
from certifications.models import CertificationYear
from certifications.services import ensure_certification_years
from submissions.deadlines import expire_proof_requests
from submissions.enums import DenialKind, EntryState
from submissions.models import Denial, Entry, ProofFile
from submissions.review import request_proof
from submissions.services import attach_proof, record_denial
from tests.factories import CertificationFactory, EntryFactory, title
from tests.staff import make_staff
from yearend.retention import months_before, purge_expired_proof

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def certification():
    certification = CertificationFactory(title=title("ISP"), awarded_on=date(2024, 3, 1))
    ensure_certification_years(today=date(2025, 6, 1), certifications=[certification])
    return certification


def asked(certification, *, credits: str = "5", due_on: date = date(2025, 7, 1)) -> Entry:
    entry = EntryFactory(holder=certification.holder, activity_date=date(2025, 5, 1),
                         hours=D(credits), claimed_credits=D(credits))
    return request_proof(entry=entry, by=make_staff("Reviewer"), today=date(2025, 6, 1),
                         due_on=due_on)


def year2(certification) -> CertificationYear:
    return CertificationYear.objects.get(certification=certification, number=2)


def test_a_missed_proof_deadline_rejects_the_entry_with_a_denial_and_a_mail(certification):
    entry = asked(certification)
    assert year2(certification).undecided_credits == D("5")

    on_time = expire_proof_requests(today=date(2025, 7, 1))  # the deadline day itself
    late = expire_proof_requests(today=date(2025, 7, 2))

    assert (on_time.rejected, late.rejected) == (0, 1)
    entry.refresh_from_db()
    assert (entry.state, entry.proof_due_on) == (EntryState.REJECTED, None)
    change = entry.state_changes.last()
    assert (change.from_state, change.to_state, change.changed_by, change.reason) == (
        EntryState.PROOF_REQUESTED, EntryState.REJECTED, None,
        "No proof arrived by the deadline of 1 July 2025.")
    assert entry.history.first().history_change_reason == "Proof deadline missed"
    denial = Denial.objects.get(entry=entry)
    assert (denial.kind, denial.denied_on) == (DenialKind.ENTRY_REJECTED, date(2025, 7, 2))
    assert year2(certification).undecided_credits == D("0")
    message = OutboxMessage.objects.get(kind="entry_rejected")
    assert message.to == certification.holder.email


def test_proof_that_arrived_keeps_the_entry(certification):
    entry = asked(certification)
    attach_proof(entry=entry, upload=SimpleUploadedFile("receipt.pdf", PDF),
                 by=certification.holder)

    assert expire_proof_requests(today=date(2025, 7, 2)).rejected == 0
    entry.refresh_from_db()
    assert entry.state == EntryState.PROOF_REQUESTED


def test_expiring_twice_rejects_and_mails_once(certification):
    asked(certification)
    asked(certification)

    first = expire_proof_requests(today=date(2025, 7, 2))
    second = expire_proof_requests(today=date(2025, 7, 3))

    assert (first.rejected, second.rejected) == (2, 0)
    assert Denial.objects.count() == 2
    assert OutboxMessage.objects.filter(kind="entry_rejected").count() == 2


def test_expire_command_says_how_many(certification, capsys):
    asked(certification)

    call_command("expire_proof_requests", "--date", "2025-07-02")

    assert capsys.readouterr().out.strip() == (
        "Proof deadlines as of 2025-07-02: 1 entry(ies) rejected; 1 mail(s).")


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 3, 1), 12, date(2025, 3, 1)),
    (date(2026, 3, 31), 1, date(2026, 2, 28)),
    (date(2024, 3, 31), 1, date(2024, 2, 29)),
    (date(2026, 1, 15), 13, date(2024, 12, 15)),
])
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


def proof_of(entry: Entry) -> ProofFile:
    return ProofFile.objects.create(entry=entry, file=SimpleUploadedFile("proof.pdf", PDF),
                                    original_name="proof.pdf", content_type="application/pdf",
                                    size=len(PDF))


def test_proof_is_deleted_12_months_after_the_end_of_its_year(certification):
    # Year 2 ends on 28 February 2026: its proof is kept until 28 February 2027.
    entry = EntryFactory(holder=certification.holder, activity_date=date(2025, 5, 1))
    proof = proof_of(entry)
    storage = proof.file.storage
    ensure_certification_years(today=date(2027, 3, 1), certifications=[certification])

    kept = purge_expired_proof(today=date(2027, 2, 28))
    purged = purge_expired_proof(today=date(2027, 3, 1))
    again = purge_expired_proof(today=date(2027, 3, 2))

    assert (kept.files, purged.files, again.files) == (0, 1, 0)
    assert purged.bytes == len(PDF)
    assert not ProofFile.objects.exists()
    assert not storage.exists(proof.file.name)
    assert Entry.objects.filter(pk=entry.pk).exists()


def test_proof_under_an_open_appeal_or_request_is_kept(certification):
    rejected = EntryFactory(holder=certification.holder, activity_date=date(2025, 5, 1),
                            state=EntryState.REJECTED)
    denial = record_denial(holder=certification.holder, kind=DenialKind.ENTRY_REJECTED,
                           entry=rejected, denied_on=date(2026, 1, 5), reason="Not relevant")
    appeal = Appeal.objects.create(denial=denial, rationale="It was.")
    waiting = EntryFactory(holder=certification.holder, activity_date=date(2025, 5, 2),
                           state=EntryState.PROOF_REQUESTED, proof_due_on=date(2027, 4, 1))
    proof_of(rejected)
    proof_of(waiting)

    assert purge_expired_proof(today=date(2027, 3, 1)).files == 0

    appeal.state, appeal.decision_reason = AppealState.DISMISSED, "Not relevant."
    appeal.decided_at = timezone.now()
    appeal.save()
    assert purge_expired_proof(today=date(2027, 3, 1)).files == 1
    assert list(ProofFile.objects.values_list("entry", flat=True)) == [waiting.pk]


def test_purge_command_says_how_many(certification, capsys):
    proof_of(EntryFactory(holder=certification.holder, activity_date=date(2025, 5, 1)))

    call_command("purge_expired_proof", "--date", "2027-03-01")

    assert capsys.readouterr().out.strip() == (
        f"Proof past retention as of 2027-03-01: 1 file(s) deleted ({len(PDF)} bytes).")

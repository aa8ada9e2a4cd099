"""Review decisions: each changes the entry, the stored standings, the history and the outbox
(one message); adjusted and rejected entries become denials; a decided entry is not decided
again."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connections, transaction

from accounts.models import OutboxMessage, User
from accounts.outbox import deliver_message, deliver_unsent
from certifications.models import CertificationYear
from submissions.deadlines import expire_proof_requests
from submissions.enums import DenialKind, EntryState
from submissions.models import Denial
from submissions.review import adjust_entry, approve_entry, reject_entry, request_proof
from submissions.standings.check import check_standings
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity

D = Decimal
TODAY = date(2025, 6, 1)
pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(db):
    return UserFactory(is_staff=True, full_name="Rita Reviewer")


@pytest.fixture
def book(practitioner):
    """250 pages read, waiting for approval (2.50 credits)."""
    return EntryFactory(holder=practitioner.holder, activity_type=activity("read-books"),
                        hours=None, quantity=D("250"), claimed_credits=D("2.50"),
                        state=EntryState.PENDING_APPROVAL, title="Security Engineering")


def counted(certification) -> Decimal:
    return CertificationYear.objects.get(certification=certification, number=2).counted_credits


def standings_hold(holder) -> None:
    assert [str(d) for d in check_standings(User.objects.filter(pk=holder.pk))] == []


def test_approve_counts_the_entry_records_it_and_mails_the_holder(practitioner, book, reviewer):
    assert counted(practitioner) == D("0")

    approved = approve_entry(entry=book, by=reviewer, today=TODAY)

    change = approved.state_changes.last()
    assert (approved.state, approved.approved_credits) == (EntryState.APPROVED, None)
    assert (change.from_state, change.to_state, change.changed_by) == (
        EntryState.PENDING_APPROVAL, EntryState.APPROVED, reviewer)
    assert counted(practitioner) == D("2.50")
    assert list(OutboxMessage.objects.values_list("kind", "to")) == [
        ("entry_approved", practitioner.holder.email)]
    standings_hold(practitioner.holder)


def test_adjust_counts_the_lower_value_and_makes_a_denial(practitioner, book, reviewer):
    adjusted = adjust_entry(entry=book, by=reviewer, credits=D("1.50"),
                            reason="Only chapters 1 to 9 are about security.", today=TODAY)

    denial = Denial.objects.get()
    assert (adjusted.state, adjusted.approved_credits) == (EntryState.APPROVED, D("1.50"))
    assert counted(practitioner) == D("1.50")
    assert (denial.kind, denial.entry, denial.denied_on, denial.holder) == (
        DenialKind.CREDITS_ADJUSTED, adjusted, TODAY, practitioner.holder)
    message = OutboxMessage.objects.get()
    assert message.kind == "entry_adjusted"
    assert "1.50 credits instead of the 2.50" in message.body_text
    assert "appeal" in message.body_text and "30 August 2025" in message.body_text
    standings_hold(practitioner.holder)


@pytest.mark.parametrize(("credits", "reason", "field"), [
    (D("2.50"), "Too much", "credits"),
    (D("-1"), "Too much", "credits"),
    (D("1.005"), "Too much", "credits"),
    (D("1"), "   ", "reason"),
])
def test_adjust_refuses_a_value_not_lower_or_no_reason(book, reviewer, credits, reason, field):
    with pytest.raises(ValidationError) as error:
        adjust_entry(entry=book, by=reviewer, credits=credits, reason=reason, today=TODAY)
    assert field in error.value.message_dict
    book.refresh_from_db()
    assert (book.state, Denial.objects.count(), OutboxMessage.objects.count()) == (
        EntryState.PENDING_APPROVAL, 0, 0)


def test_reject_stops_counting_and_makes_a_denial(practitioner, reviewer):
    course = EntryFactory(holder=practitioner.holder, claimed_credits=D("3"), hours=D("3"))
    assert counted(practitioner) == D("3")

    rejected = reject_entry(entry=course, by=reviewer, reason="Part of the holder's job.",
                            today=TODAY)

    assert rejected.state == EntryState.REJECTED
    assert counted(practitioner) == D("0")
    assert list(Denial.objects.values_list("kind", "reason")) == [
        (DenialKind.ENTRY_REJECTED, "Part of the holder's job.")]
    assert list(OutboxMessage.objects.values_list("kind", flat=True)) == ["entry_rejected"]
    standings_hold(practitioner.holder)


def test_reject_needs_a_reason(book, reviewer):
    with pytest.raises(ValidationError, match="Say why"):
        reject_entry(entry=book, by=reviewer, reason="", today=TODAY)
    assert (Denial.objects.count(), OutboxMessage.objects.count()) == (0, 0)


def test_request_proof_stops_counting_until_decided(practitioner, reviewer):
    course = EntryFactory(holder=practitioner.holder, claimed_credits=D("3"), hours=D("3"))

    asked = request_proof(entry=course, by=reviewer, today=TODAY)

    assert (asked.state, asked.proof_due_on) == (EntryState.PROOF_REQUESTED, date(2025, 7, 1))
    assert counted(practitioner) == D("0")
    year = CertificationYear.objects.get(certification=practitioner, number=2)
    assert year.undecided_credits == D("3")
    message = OutboxMessage.objects.get()
    assert (message.kind, message.subject) == (
        "proof_requested", f"Proof needed by 1 July 2025: “{course.title}”")
    standings_hold(practitioner.holder)


def test_request_proof_refuses_a_deadline_in_the_past(book, reviewer):
    with pytest.raises(ValidationError, match="deadline after today"):
        request_proof(entry=book, by=reviewer, today=TODAY, due_on=TODAY)


@pytest.mark.parametrize(("days", "accepted"), [(90, True), (91, False)])
def test_request_proof_gives_a_deadline_at_most_90_days_ahead(book, reviewer, days, accepted):
    due = TODAY + timedelta(days=days)

    if accepted:
        assert request_proof(entry=book, by=reviewer, today=TODAY, due_on=due).proof_due_on == due
    else:
        with pytest.raises(ValidationError, match="at most 90 days ahead, on 30 August 2025"):
            request_proof(entry=book, by=reviewer, today=TODAY, due_on=due)
        book.refresh_from_db()
        assert (book.state, OutboxMessage.objects.count()) == (EntryState.PENDING_APPROVAL, 0)


def test_request_proof_refuses_the_last_day_of_the_calendar(book, reviewer, settings):
    settings.CPE_PROOF_DEADLINE_MAX_DAYS = 3650

    with pytest.raises(ValidationError, match="at most 3650 days ahead"):
        request_proof(entry=book, by=reviewer, today=TODAY, due_on=date(9999, 12, 31))

    book.refresh_from_db()
    assert (book.state, book.proof_due_on) == (EntryState.PENDING_APPROVAL, None)


def test_a_decided_entry_is_not_decided_again(book, reviewer):
    approve_entry(entry=book, by=reviewer, today=TODAY)

    for decide in (lambda: approve_entry(entry=book, by=reviewer, today=TODAY),
                   lambda: reject_entry(entry=book, by=reviewer, reason="x", today=TODAY),
                   lambda: request_proof(entry=book, by=reviewer, today=TODAY)):
        with pytest.raises(ValidationError, match="is approved"):
            decide()
    assert (book.state_changes.count(), OutboxMessage.objects.count()) == (1, 1)


def test_a_decision_on_an_entry_that_changed_while_open_is_refused(book, reviewer):
    request_proof(entry=book, by=UserFactory(is_staff=True, full_name="Other Reviewer"),
                  today=TODAY)

    with pytest.raises(ValidationError, match=r"changed while you had it open.*Other Reviewer"):
        approve_entry(entry=book, by=reviewer, today=TODAY,
                      seen_state=EntryState.PENDING_APPROVAL)


def test_a_rolled_back_decision_sends_nothing(book, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, \
            pytest.raises(RuntimeError), transaction.atomic():
        approve_entry(entry=book, by=reviewer, today=TODAY)
        raise RuntimeError("the request failed after the decision")

    book.refresh_from_db()
    assert (book.state, OutboxMessage.objects.count(), callbacks, mail.outbox) == (
        EntryState.PENDING_APPROVAL, 0, [], [])


def test_a_decision_is_mailed_once_after_commit(book, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        approve_entry(entry=book, by=reviewer, today=TODAY)
    message = OutboxMessage.objects.get()

    again = deliver_message(message_id=message.pk, now=message.created_at + timedelta(hours=1))
    swept = deliver_unsent(now=message.created_at + timedelta(hours=1))

    message.refresh_from_db()
    assert (len(mail.outbox), again, swept, message.attempts) == (1, False, 0, 1)
    assert mail.outbox[0].subject == "Approved: “Security Engineering”"
    assert "/entries/" in mail.outbox[0].body
    assert mail.outbox[0].alternatives[0][1] == "text/html"


def test_mail_the_server_refused_is_sent_by_the_sweep(book, reviewer, settings):
    approve_entry(entry=book, by=reviewer, today=TODAY)
    message = OutboxMessage.objects.get()
    settings.EMAIL_BACKEND = "tests.submissions.test_review.RefusingBackend"
    with pytest.raises(ConnectionRefusedError):
        deliver_message(message_id=message.pk, now=message.created_at)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    assert deliver_unsent(now=message.created_at + timedelta(minutes=5)) == 1

    message.refresh_from_db()
    assert (len(mail.outbox), message.attempts, message.sent_at is not None) == (1, 2, True)


class RefusingBackend:
    def __init__(self, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: list) -> int:
        raise ConnectionRefusedError("the mail server is down")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reviewers_deciding_at_once_decide_once():
    holder = UserFactory()
    CertificationFactory(holder=holder)
    book = EntryFactory(holder=holder, activity_type=activity("read-books"), hours=None,
                        quantity=D("250"), claimed_credits=D("2.50"),
                        state=EntryState.PENDING_APPROVAL)
    reviewers = [UserFactory(is_staff=True), UserFactory(is_staff=True)]
    start, outcomes = threading.Barrier(2), []

    def decide(reviewer, how) -> None:
        try:
            start.wait()
            how(reviewer)
            outcomes.append("decided")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=(reviewers[0], lambda r: approve_entry(
            entry=book, by=r, today=TODAY))),
        threading.Thread(target=decide, args=(reviewers[1], lambda r: reject_entry(
            entry=book, by=r, reason="Not relevant", today=TODAY))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["decided", "refused"]
    assert book.state_changes.count() == 1
    assert OutboxMessage.objects.count() == 1


def rejection_written(entry) -> dict[str, object]:
    """What a rejection wrote about `entry`, by what it says rather than who or when."""
    entry.refresh_from_db()
    change, denial = entry.state_changes.last(), Denial.objects.get(entry=entry)
    history = entry.history.first()
    message = OutboxMessage.objects.get(recipient=entry.holder, context__entry__title=entry.title)
    return {
        "entry": (entry.state, entry.proof_due_on),
        "state change": (change.to_state, change.reason == denial.reason),
        "history": (history.state, history.history_user == change.changed_by,
                    bool(history.history_change_reason)),
        "denial": (denial.kind, denial.denied_on, denial.holder == entry.holder),
        "mail": (message.kind, message.dedupe_key == f"entry-rejected:{entry.pk}",
                 sorted(message.context), sorted(message.context["entry"]),
                 message.context["reason"] == denial.reason,
                 message.context["appeal_until"]),
    }


def test_reject_and_a_missed_proof_deadline_write_the_same_records_and_mail(practitioner,
                                                                             reviewer):
    holder, day = practitioner.holder, date(2025, 7, 2)
    course = EntryFactory(holder=holder, claimed_credits=D("3"), hours=D("3"), title="Course")
    unproven = request_proof(
        entry=EntryFactory(holder=holder, claimed_credits=D("2"), hours=D("2"), title="Webinar"),
        by=reviewer, today=TODAY, due_on=date(2025, 7, 1))
    OutboxMessage.objects.all().delete()

    reject_entry(entry=course, by=reviewer, reason="Part of the holder's job.", today=day)
    expire_proof_requests(today=day)

    by_reviewer, by_deadline = rejection_written(course), rejection_written(unproven)
    assert by_reviewer == by_deadline
    assert by_reviewer["mail"][2:4] == (
        ["appeal_until", "entry", "entry_url", "reason"], ["activity_date", "title"])
    assert by_reviewer["entry"] == (EntryState.REJECTED, None)
    assert (Denial.objects.get(entry=course).reason,
            Denial.objects.get(entry=unproven).reason) == (
        "Part of the holder's job.", "No proof arrived by the deadline of 1 July 2025.")
    assert counted(practitioner) == D("0")
    standings_hold(holder)
    for message in OutboxMessage.objects.order_by("pk"):
        deliver_message(message_id=message.pk, now=message.created_at)
    assert [(m.subject, "appeal this decision to the Board until 30 September 2025" in m.body)
            for m in mail.outbox] == [("Not accepted: “Course”", True),
                                      ("Not accepted: “Webinar”", True)]

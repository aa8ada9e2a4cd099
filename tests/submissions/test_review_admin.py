"""The review queue in the admin: the entries list opens on what needs a decision, the entry
page shows the holder's standing and the proof, and decisions are buttons and bulk actions."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import OutboxMessage, User
from certifications.enums import CertificationStatus, YearState
from certifications.models import CertificationYear
from certifications.services import ensure_certification_years
from submissions.enums import EntryState
from submissions.models import Denial, Entry
from submissions.services import attach_proof
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity
from tests.staff import add_totp, sign_in
from tests.test_admin import form_data

D = Decimal
pytestmark = pytest.mark.django_db
QUEUE = reverse("admin:submissions_entry_changelist")



def pending_book(holder, **fields) -> Entry:
    return EntryFactory(**{"holder": holder, "activity_type": activity("read-books"),
                           "hours": None, "quantity": D("250"), "claimed_credits": D("2.50"),
                           "state": EntryState.PENDING_APPROVAL, **fields})


def titles(response) -> list[str]:
    return [entry.title for entry in response.context["cl"].result_list]


def decide(client, entry: Entry, **data):
    return client.post(reverse("admin:submissions_entry_decide", args=[entry.pk]),
                       {"seen_state": entry.state, **data}, follow=True)


def test_queue_opens_on_what_needs_a_decision_oldest_first(admin_client):
    holder = CertificationFactory().holder
    now = timezone.now()
    newer = pending_book(holder, title="Newer book", logged_at=now - timedelta(days=1))
    older = pending_book(holder, title="Older book", logged_at=now - timedelta(days=5))
    EntryFactory(holder=holder, title="Counts without a decision")
    asked = EntryFactory(holder=holder, title="Proof arrived", state=EntryState.PROOF_REQUESTED,
                         logged_at=now - timedelta(days=3))
    EntryFactory(holder=holder, title="Proof still awaited", state=EntryState.PROOF_REQUESTED)
    attach_proof(entry=asked, by=holder, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 a"))

    assert titles(admin_client.get(QUEUE)) == [older.title, asked.title, newer.title]
    assert len(titles(admin_client.get(QUEUE, {"decision": "all"}))) == 5


@pytest.mark.parametrize("url", [QUEUE, f"{QUEUE}?decision=all",
                                 f"{QUEUE}?decision=all&state__exact=approved"],
                         ids=["review queue", "all entries", "all approved"])
def test_entries_lists_run_the_same_queries_with_5_and_200_entries(admin_client, url):
    counts = []
    for size in (5, 200):
        Entry.objects.all().delete()
        for n in range(size):
            pending_book(CertificationFactory().holder if n % 20 == 0 else
                         User.objects.last(),
                         **({"state": EntryState.APPROVED} if "approved" in url else {}))
        with CaptureQueriesContext(connection) as captured:
            assert len(titles(admin_client.get(url))) == min(size, 100)
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_admin_index_says_how_many_wait(admin_client):
    holder = CertificationFactory().holder
    for _ in range(3):
        pending_book(holder)

    html = admin_client.get(reverse("admin:index")).content.decode()

    assert "3 entries wait for a decision." in html


# --- Years held for decisions ----------------------------------------------------------------
# On 2 December 2026. A certification awarded on 5 October 2024 ended its year 2 on
# 4 October 2026; its deadline was 3 November and the close has held it since 4 November
# (28 days). One awarded on 21 October 2024: year 2 to 20 October 2026, deadline 19 November,
# held since 20 November (12 days).
HELD_TODAY = date(2026, 12, 2)


@pytest.fixture
def december_2026():
    with time_machine.travel("2026-12-02 10:00 +01:00", tick=False):
        yield


def held_holder(name: str, *, awarded_on: date, since: date) -> User:
    certification = CertificationFactory(holder=UserFactory(full_name=name),
                                         awarded_on=awarded_on)
    ensure_certification_years(today=HELD_TODAY, certifications=[certification])
    certification.years.filter(number=2).update(state=YearState.WAITING, held_since=since)
    return certification.holder


def test_queue_puts_entries_of_held_years_first_oldest_held_first(admin_client, december_2026):
    piet = held_holder("Piet", awarded_on=date(2024, 10, 5), since=date(2026, 11, 4))
    hanna = held_holder("Hanna", awarded_on=date(2024, 10, 21), since=date(2026, 11, 20))
    other = CertificationFactory(awarded_on=date(2024, 1, 1)).holder
    now = timezone.now()
    pending_book(other, title="Logged first, no held year", activity_date=date(2026, 3, 1),
                 logged_at=now - timedelta(days=40))
    pending_book(hanna, title="Reported after the deadline", activity_date=date(2026, 9, 2),
                 reported_on=date(2026, 11, 25), logged_at=now - timedelta(days=30))
    pending_book(hanna, title="Hanna's held year", activity_date=date(2026, 9, 1),
                 reported_on=date(2026, 11, 19), logged_at=now - timedelta(days=20))
    pending_book(piet, title="Piet's held year", activity_date=date(2026, 6, 1),
                 logged_at=now - timedelta(days=2))
    pending_book(piet, title="Piet's open year", activity_date=date(2026, 11, 1),
                 logged_at=now - timedelta(days=1))

    response = admin_client.get(QUEUE)

    assert titles(response) == ["Piet's held year", "Hanna's held year",
                                "Logged first, no held year", "Reported after the deadline",
                                "Piet's open year"]
    html = response.content.decode()
    assert '<td class="field-held">held 28 days</td>' in html
    assert '<td class="field-held">held 12 days</td>' in html
    assert titles(admin_client.get(QUEUE, {"decision": "held"})) == [
        "Piet's held year", "Hanna's held year"]


def test_queue_leaves_a_held_year_of_a_decertified_certification_unmarked(admin_client,
                                                                           december_2026):
    piet = held_holder("Piet", awarded_on=date(2024, 10, 5), since=date(2026, 11, 4))
    piet.certifications.update(status=CertificationStatus.DECERTIFIED,
                               decertified_on=date(2026, 11, 30))
    pending_book(piet, title="Decertified", activity_date=date(2026, 6, 1))

    response = admin_client.get(QUEUE)

    assert titles(response) == ["Decertified"]
    assert response.context["cl"].result_list[0].held_since is None


def test_queue_of_held_years_runs_the_same_queries_with_5_and_200_entries(admin_client,
                                                                          december_2026):
    counts = []
    for size in (5, 200):
        Entry.objects.all().delete()
        CertificationYear.objects.all().delete()
        for n in range(size):
            if n % 20 == 0:
                piet = held_holder(f"Piet {n}", awarded_on=date(2024, 10, 5),
                                   since=date(2026, 11, 4) + timedelta(days=n // 20))
            pending_book(piet, activity_date=date(2026, 6, 1))
        with CaptureQueriesContext(connection) as captured:
            assert len(titles(admin_client.get(QUEUE, {"decision": "held"}))) == min(size, 100)
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_admin_index_says_how_many_years_are_held_and_the_oldest(admin_client, december_2026):
    held_holder("Piet", awarded_on=date(2024, 10, 5), since=date(2026, 11, 4))
    held_holder("Hanna", awarded_on=date(2024, 10, 21), since=date(2026, 11, 20))
    held_holder("Sam", awarded_on=date(2024, 10, 21), since=date(2026, 11, 20))

    html = admin_client.get(reverse("admin:index")).content.decode()

    assert ("3 years held for decisions, the oldest since 4 November 2026 (28 days)."
            in html)
    assert f'href="{QUEUE}?decision=held"' in html


def test_admin_index_counts_a_held_year_without_its_first_day(admin_client, december_2026):
    held_holder("Piet", awarded_on=date(2024, 10, 5), since=date(2026, 11, 4))
    CertificationYear.objects.update(held_since=None)

    html = admin_client.get(reverse("admin:index")).content.decode()

    assert "1 year held for decisions." in html


def test_admin_index_says_nothing_of_held_years_when_none_is(admin_client, december_2026):
    CertificationFactory()
    ensure_certification_years(today=HELD_TODAY)

    html = admin_client.get(reverse("admin:index")).content.decode()

    assert "held for decisions" not in html
    assert "?decision=held" not in html


def entry_page(client, entry: Entry) -> str:
    return client.get(reverse("admin:submissions_entry_change", args=[entry.pk])).content.decode()


def test_entry_page_shows_the_standing_caps_and_proof(admin_client, practitioner):
    holder = practitioner.holder
    EntryFactory(holder=holder, activity_type=activity("read-books"), hours=None,
                 quantity=D("300"), claimed_credits=D("3"), state=EntryState.APPROVED)
    book = pending_book(holder)
    proof = attach_proof(entry=book, by=holder, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4"))

    html = entry_page(admin_client, book)

    assert "3.00 of 20 credits counted; 2.50 credits awaiting a decision." in html
    assert "Once approved, 2.00 of this entry\u2019s 2.50 credits count here." in html
    assert ("<th scope=\"row\">Read books <small>(this entry\u2019s activity)</small></th>"
            "<td>3.00 credits</td><td>5 credits</td>") in html
    assert reverse("submissions:proof_download", args=[proof.pk]) in html
    assert reverse("admin:submissions_entry_decide", args=[book.pk]) in html


@pytest.fixture
def june_2025():
    with time_machine.travel("2025-06-02 10:00 +02:00", tick=False):
        yield


def test_review_of_questions_over_their_cap_says_what_counts_and_which_cap_stops_the_rest(
        admin_client, practitioner, june_2025):
    questions = EntryFactory(holder=practitioner.holder, activity_type=activity("exam-questions"),
                             hours=None, quantity=D("6"), claimed_credits=D("6"),
                             state=EntryState.PENDING_APPROVAL)

    html = entry_page(admin_client, questions)

    assert "Create exam questions or exercises: <strong>6 questions or exercises</strong>, " \
           "6.00 credits claimed." in html
    assert ("<strong>Once approved, 5.00 of this entry\u2019s 6.00 credits count here.</strong> "
            "The activity\u2019s annual cap of 5 credits stops 1.00 credits.") in html
    assert "Status: In progress, at risk</strong>; deadline 30 January 2026, 242 days left." in html


def test_review_of_a_book_when_part_of_the_cap_is_used_counts_only_the_room_left(
        admin_client, practitioner, june_2025):
    holder = practitioner.holder
    EntryFactory(holder=holder, activity_type=activity("read-books"), hours=None,
                 quantity=D("250"), claimed_credits=D("2.50"), state=EntryState.APPROVED,
                 activity_date=date(2025, 2, 1))
    # A book dated later still waiting: it takes nothing until it is approved.
    pending_book(holder, activity_date=date(2025, 3, 5))
    book = pending_book(holder, quantity=D("320"), claimed_credits=D("3.20"),
                        activity_date=date(2025, 3, 1))

    html = entry_page(admin_client, book)

    assert "Read books: <strong>320 pages</strong>, 3.20 credits claimed." in html
    assert ("Once approved, 2.50 of this entry\u2019s 3.20 credits count here.</strong> "
            "The activity\u2019s annual cap of 5 credits stops 0.70 credits.") in html


def test_review_names_the_annual_submission_cap_when_it_stops_the_rest(admin_client,
                                                                       practitioner, june_2025):
    holder = practitioner.holder
    EntryFactory(holder=holder, hours=D("39"), claimed_credits=D("39"),
                 activity_date=date(2025, 2, 1))
    course = EntryFactory(holder=holder, hours=D("3"), claimed_credits=D("3"),
                          state=EntryState.PENDING_APPROVAL)

    html = entry_page(admin_client, course)

    assert "Other course relevant to the field: <strong>3 hours</strong>" in html
    assert ("Once approved, 1.00 of this entry\u2019s 3.00 credits count here.</strong> "
            "The annual submission cap of 40 credits stops 2.00 credits.") in html
    assert "Status: Met</strong>" in html
    assert ("<th scope=\"row\">All activities (annual submission cap)</th>"
            "<td>39.00 credits</td><td>40 credits</td>") in html


def test_review_of_an_approved_entry_says_what_it_counts(admin_client, practitioner,
                                                        june_2025):
    questions = EntryFactory(holder=practitioner.holder, activity_type=activity("exam-questions"),
                             hours=None, quantity=D("6"), claimed_credits=D("6"),
                             state=EntryState.APPROVED)

    html = entry_page(admin_client, questions)

    assert ("This entry counts 5.00 of its 6.00 credits here.</strong> "
            "The activity\u2019s annual cap of 5 credits stops 1.00 credits.") in html


def test_review_panel_runs_the_same_queries_with_1_and_30_entries_ahead(admin_client,
                                                                        practitioner):
    holder = practitioner.holder
    counts = []
    for more in (1, 29):
        EntryFactory.create_batch(more, holder=holder, activity_date=date(2025, 2, 1))
        book = pending_book(holder)
        with CaptureQueriesContext(connection) as captured:
            entry_page(admin_client, book)
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_approve_button_decides_and_returns_to_the_queue(admin_client, practitioner):
    book = pending_book(practitioner.holder, title="Security Engineering")

    response = decide(admin_client, book, action="approve")

    book.refresh_from_db()
    assert response.redirect_chain[-1][0] == QUEUE
    assert ("“Security Engineering” approved at 2.50 credits. The holder is told by mail."
            in response.content.decode())
    assert (book.state, OutboxMessage.objects.get().kind) == (EntryState.APPROVED,
                                                              "entry_approved")


def test_adjust_button_needs_credits_and_a_reason(admin_client, practitioner):
    book = pending_book(practitioner.holder)

    missing = decide(admin_client, book, action="adjust", reason="Half of it")
    without_reason = decide(admin_client, book, action="adjust", credits="1.25")
    adjusted = decide(admin_client, book, action="adjust", credits="1.25", reason="Half of it")

    assert "Give the credits to approve." in missing.content.decode()
    assert "Say why the value is adjusted" in without_reason.content.decode()
    book.refresh_from_db()
    assert adjusted.status_code == 200
    assert (book.state, book.approved_credits, Denial.objects.count()) == (
        EntryState.APPROVED, D("1.25"), 1)


def test_adjust_without_a_reason_keeps_the_credits_typed_and_says_what_is_missing(
        admin_client, practitioner):
    book = pending_book(practitioner.holder)

    response = decide(admin_client, book, action="adjust", credits="1.75", reason=" ")

    html = response.content.decode()
    book.refresh_from_db()
    assert "Nothing was decided." in html
    assert "Say why the value is adjusted: the holder reads it and may appeal it." in html
    assert 'name="credits" value="1.75"' in html
    assert (book.state, book.approved_credits) == (EntryState.PENDING_APPROVAL, None)


def test_adjust_too_high_keeps_the_reason_typed(admin_client, practitioner):
    book = pending_book(practitioner.holder)

    response = decide(admin_client, book, action="adjust", credits="3", reason="Only half")

    html = response.content.decode()
    assert "An adjusted value must be lower than the 2.50 credits claimed" in html
    assert "Only half</textarea>" in html
    assert Entry.objects.get(pk=book.pk).state == EntryState.PENDING_APPROVAL


def test_adjust_says_at_how_many_credits_and_until_when_the_holder_may_appeal(
        admin_client, practitioner, december_2026):
    book = pending_book(practitioner.holder, title="Security Engineering",
                        quantity=D("400"), claimed_credits=D("4"))

    response = decide(admin_client, book, action="adjust", credits="3", reason="Chapter 9 is "
                      "about project management.")

    assert ("“Security Engineering” approved at 3.00 of 4.00 credits; the holder may appeal "
            "the difference until 2 March 2027.") in response.content.decode()


def test_reject_and_request_proof_say_what_they_did_in_plain_english(admin_client,
                                                                    practitioner,
                                                                    december_2026):
    book = pending_book(practitioner.holder, title="The Phoenix Project")
    course = EntryFactory(holder=practitioner.holder, title="Threat modelling",
                          activity_date=date(2026, 11, 1))

    rejected = decide(admin_client, book, action="reject", reason="Not relevant").content
    asked = decide(admin_client, course, action="request_proof", due_on="2026-12-20").content

    assert ("“The Phoenix Project” rejected; the holder may appeal until 2 March 2027."
            in rejected.decode())
    assert "Proof of “Threat modelling” requested, due on 20 December 2026" in asked.decode()
    assert "is now" not in asked.decode() + rejected.decode()


def test_reject_without_a_reason_changes_nothing(admin_client, practitioner):
    book = pending_book(practitioner.holder)

    response = decide(admin_client, book, action="reject", reason="")

    book.refresh_from_db()
    assert "Say why the entry is rejected" in response.content.decode()
    assert (book.state, OutboxMessage.objects.count()) == (EntryState.PENDING_APPROVAL, 0)


def test_request_proof_button_sets_the_deadline(admin_client, practitioner):
    course = EntryFactory(holder=practitioner.holder)
    due = timezone.localdate() + timedelta(days=14)

    decide(admin_client, course, action="request_proof", due_on=due.isoformat())

    course.refresh_from_db()
    assert (course.state, course.proof_due_on) == (EntryState.PROOF_REQUESTED, due)


def test_request_proof_button_refuses_a_deadline_of_9999_12_31(admin_client, practitioner):
    course = EntryFactory(holder=practitioner.holder)

    response = decide(admin_client, course, action="request_proof", due_on="9999-12-31")

    course.refresh_from_db()
    latest = date_format(timezone.localdate() + timedelta(days=90))
    assert (f"Give the holder a deadline at most 90 days ahead, on {latest} or earlier."
            in response.content.decode())
    assert (course.state, course.proof_due_on, OutboxMessage.objects.count()) == (
        EntryState.SUBMITTED, None, 0)


def test_a_decision_on_a_page_opened_before_another_decision_is_refused(admin_client,
                                                                         practitioner):
    book = pending_book(practitioner.holder)
    seen = Entry.objects.get(pk=book.pk)
    decide(admin_client, book, action="approve")

    response = decide(admin_client, seen, action="reject", reason="Not relevant")

    book.refresh_from_db()
    assert "changed while you had it open" in response.content.decode()
    assert book.state == EntryState.APPROVED


def test_staff_without_the_review_permission_cannot_decide(client, practitioner):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_entry"))
    add_totp(viewer)
    sign_in(client, viewer)
    book = pending_book(practitioner.holder)

    response = client.post(reverse("admin:submissions_entry_decide", args=[book.pk]),
                           {"action": "approve", "seen_state": book.state})

    book.refresh_from_db()
    assert (response.status_code, book.state) == (403, EntryState.PENDING_APPROVAL)


def test_bulk_approve_asks_for_confirmation_listing_what_it_approves(admin_client,
                                                                      practitioner):
    holder = practitioner.holder
    waiting = [pending_book(holder, title=f"Book {n}") for n in (1, 2)]
    rejected = EntryFactory(holder=holder, state=EntryState.REJECTED, title="Too late")
    selected = {"action": "approve_selected",
                ACTION_CHECKBOX_NAME: [e.pk for e in [*waiting, rejected]]}

    asked = admin_client.post(QUEUE + "?decision=all", selected)
    untouched = sorted(Entry.objects.values_list("state", flat=True))
    done = admin_client.post(QUEUE + "?decision=all", {**selected, "decide": "1"}, follow=True)

    page = asked.content.decode()
    assert "This applies to 2 entries:" in page
    assert ("Book 1</a><br><small>Read books: 250 pages · 1 March 2025 · pending approval"
            "</small></th><td>Hanna Holder</td><td>2.50 credits</td>") in page
    assert "1 selected entry will be left as it is:" in page
    assert "Too late — " in page and "(it is rejected)" in page
    assert untouched == [EntryState.PENDING_APPROVAL, EntryState.PENDING_APPROVAL,
                         EntryState.REJECTED]
    assert ("2 entries approved at the credits claimed; each holder is told by mail."
            in done.content.decode())
    assert sorted(Entry.objects.values_list("state", flat=True)) == [
        EntryState.APPROVED, EntryState.APPROVED, EntryState.REJECTED]


def test_bulk_approve_reports_an_entry_decided_meanwhile(admin_client, practitioner):
    book = pending_book(practitioner.holder, title="Decided meanwhile")
    selected = {"action": "approve_selected", ACTION_CHECKBOX_NAME: [book.pk], "decide": "1"}
    Entry.objects.filter(pk=book.pk).update(state=EntryState.WITHDRAWN)

    response = admin_client.post(QUEUE + "?decision=all", selected, follow=True)

    assert ("“Decided meanwhile” was left as it is: This entry is withdrawn by the holder: "
            "that decision is no longer open for it.") in response.content.decode()


def test_bulk_reject_asks_for_a_reason_first(admin_client, practitioner):
    waiting = [pending_book(practitioner.holder) for _ in range(2)]
    selected = {"action": "reject_selected", ACTION_CHECKBOX_NAME: [e.pk for e in waiting]}

    asked = admin_client.post(QUEUE, selected)
    done = admin_client.post(QUEUE, {**selected, "decide": "1", "reason": "Not relevant"},
                             follow=True)

    assert "Reason (each holder reads it)" in asked.content.decode()
    assert "2 entries rejected; each holder is told by mail and may appeal until" in (
        done.content.decode())
    assert (Denial.objects.count(), OutboxMessage.objects.count()) == (2, 2)


def test_bulk_request_proof_offers_the_settings_deadline(admin_client, practitioner):
    waiting = [EntryFactory(holder=practitioner.holder) for _ in range(2)]
    selected = {"action": "request_proof_selected",
                ACTION_CHECKBOX_NAME: [e.pk for e in waiting]}
    due = (timezone.localdate() + timedelta(days=30)).isoformat()

    asked = admin_client.post(QUEUE + "?decision=all", selected)
    admin_client.post(QUEUE + "?decision=all", {**selected, "decide": "1", "due_on": due})

    assert f'value="{due}"' in asked.content.decode()
    assert set(Entry.objects.values_list("state", "proof_due_on")) == {
        (EntryState.PROOF_REQUESTED, date.fromisoformat(due))}


def test_entry_page_posted_change_changes_nothing_the_holder_wrote(admin_client):
    entry = EntryFactory(title="What the holder wrote", provider="The holder's provider",
                         description="In the holder's words.")
    url = reverse("admin:submissions_entry_change", args=[entry.pk])
    page = admin_client.get(url)
    data = form_data(page) | {"title": "Rewritten by staff", "provider": "Staff",
                              "description": "Staff words.", "_save": "Save"}
    versions = entry.history.count()

    response = admin_client.post(url, data)

    assert page.context["adminform"].form.fields == {}
    assert response.status_code == 403
    entry.refresh_from_db()
    assert (entry.title, entry.provider, entry.description) == (
        "What the holder wrote", "The holder's provider", "In the holder's words.")
    assert entry.history.count() == versions


def test_entry_history_shows_a_past_version_and_puts_nothing_back(admin_client):
    entry = EntryFactory(title="First words")
    first = entry.history.latest().history_id
    entry.title = "The holder's edit"
    entry.save()
    url = reverse("admin:submissions_entry_simple_history", args=[entry.pk, first])

    page = admin_client.get(url)
    posted = admin_client.post(url, form_data(page))

    assert (page.status_code, page.context["revert_disabled"]) == (200, True)
    assert posted.status_code == 405
    entry.refresh_from_db()
    assert entry.title == "The holder's edit"


def test_an_unknown_path_under_an_entry_page_is_not_a_server_error(admin_client, practitioner):
    book = pending_book(practitioner.holder)

    response = admin_client.get(f"{QUEUE}{book.pk}/change/widgets.css/")

    assert response.status_code in (301, 302, 404)


def test_a_decision_with_a_forged_action_or_state_decides_nothing_and_says_why(admin_client,
                                                                             practitioner):
    book = pending_book(practitioner.holder)

    forged_action = decide(admin_client, book, action="delete")
    forged_state = admin_client.post(reverse("admin:submissions_entry_decide", args=[book.pk]),
                                     {"action": "approve", "seen_state": "\x00"})

    assert (forged_action.status_code, forged_state.status_code) == (200, 200)
    assert "Select a valid choice. delete is not one of the available choices." in (
        forged_action.content.decode())
    assert "Nothing was decided." in forged_state.content.decode()
    assert Entry.objects.get(pk=book.pk).state == EntryState.PENDING_APPROVAL


def test_bulk_confirmation_runs_the_same_queries_with_2_and_20_entries(admin_client,
                                                                        practitioner):
    counts = []
    for many in (2, 20):
        selected = [pending_book(practitioner.holder).pk for _ in range(many)]
        with CaptureQueriesContext(connection) as captured:
            admin_client.post(QUEUE + "?decision=all", {"action": "approve_selected",
                                                        ACTION_CHECKBOX_NAME: selected})
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_review_of_an_entry_of_a_closed_year_says_a_decision_does_not_change_it(
        admin_client, practitioner, december_2026):
    book = pending_book(practitioner.holder)
    practitioner.years.filter(number=2).update(state=YearState.MET)

    html = entry_page(admin_client, book)

    assert "Status: Closed as met</strong>; deadline 30 January 2026, passed." in html
    assert "This year is closed: a decision on this entry does not change what it counted." in html

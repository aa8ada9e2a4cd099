"""The Board records its decision in the admin; only the Board and administrators may."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts.roles import ADMINISTRATOR, BOARD, REVIEWER
from appeals.enums import AppealState
from appeals.models import BoardMeeting
from appeals.services import file_appeal
from certifications.services import ensure_certification_years
from submissions.enums import DenialKind, EntryState
from submissions.models import Denial
from submissions.review import reject_entry
from tests.factories import CertificationFactory, EntryFactory, title
from tests.staff import make_staff, sign_in
from tests.test_admin import form_data
from yearend.closing import close_certification_years

pytestmark = pytest.mark.django_db

DENIED_ON = date(2025, 4, 1)


@pytest.fixture
def appeal():
    certification = CertificationFactory(title=title("ISP"), awarded_on=date(2024, 3, 1))
    ensure_certification_years(today=DENIED_ON, certifications=[certification])
    entry = EntryFactory(holder=certification.holder, activity_date=date(2025, 3, 10),
                         hours=D("6"), claimed_credits=D("6"))
    reject_entry(entry=entry, by=make_staff(REVIEWER), reason="Not relevant", today=DENIED_ON)
    denial = Denial.objects.get(entry=entry)
    with time_machine.travel("2025-04-03 12:00 +02:00", tick=False):
        return file_appeal(denial=denial, by=denial.holder, today=DENIED_ON + timedelta(days=2),
                           rationale="It was relevant.")


def decide(client: Client, appeal, **data):
    """Post the Board's decision and confirm it (the confirmation page's button)."""
    return client.post(reverse("admin:appeals_appeal_decide", args=[appeal.pk]),
                       {"decision": "upheld", "reason": "Relevant after all.", "confirm": "yes",
                        **data})


@pytest.mark.parametrize("role", [BOARD, ADMINISTRATOR])
def test_the_board_and_administrators_record_the_decision(client, appeal, role):
    sign_in(client, make_staff(role))
    page = client.get(reverse("admin:appeals_appeal_change", args=[appeal.pk]))
    assert "Continue to confirmation" in page.content.decode()

    response = decide(client, appeal, credits="4")

    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == AppealState.UPHELD
    appeal.denial.entry.refresh_from_db()
    assert (appeal.denial.entry.state, appeal.denial.entry.approved_credits) == (
        EntryState.APPROVED, D("4"))


def test_a_reviewer_cannot_record_a_decision(client, appeal):
    sign_in(client, make_staff(REVIEWER))

    assert decide(client, appeal).status_code == 403
    appeal.refresh_from_db()
    assert appeal.state == AppealState.FILED


def test_a_decided_appeal_is_read_only_in_the_admin(client, appeal):
    sign_in(client, make_staff(BOARD))
    decide(client, appeal, decision="dismissed")

    page = client.get(reverse("admin:appeals_appeal_change", args=[appeal.pk]))
    again = decide(client, appeal)

    assert "Continue to confirmation" not in page.content.decode()
    assert again.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == AppealState.DISMISSED


def test_the_board_opens_the_supporting_documents_from_the_appeal(client, appeal):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from appeals.models import AppealDocument

    document = AppealDocument(appeal=appeal, original_name="letter.pdf",
                              content_type="application/pdf", size=10)
    document.file.save("document.pdf", SimpleUploadedFile("letter.pdf", b"%PDF-1.4 x"))
    sign_in(client, make_staff(BOARD))

    page = client.get(reverse("admin:appeals_appeal_change", args=[appeal.pk])).content.decode()
    download = reverse("appeals:document_download", args=[document.pk])

    assert download in page
    assert client.get(download).status_code == 200
    sign_in(client, make_staff(REVIEWER))
    assert client.get(download).status_code == 404


def test_the_admin_index_flags_appeals_without_a_meeting(client, appeal):
    sign_in(client, make_staff(ADMINISTRATOR))

    page = client.get(reverse("admin:index")).content.decode()

    assert "1 appeal has no Board meeting to go to" in page
    assert reverse("admin:appeals_boardmeeting_add") in page


def test_a_meeting_added_shows_on_the_holders_cached_dashboard_at_once(client):
    certification = CertificationFactory(title=title("ISP"), awarded_on=date(2024, 3, 1))
    ensure_certification_years(today=date(2025, 3, 1), certifications=[certification])
    close_certification_years(today=date(2025, 3, 31))
    denial = Denial.objects.get(kind=DenialKind.DECERTIFIED)
    with time_machine.travel("2025-04-02 12:00 +02:00", tick=False):
        file_appeal(denial=denial, by=denial.holder, today=date(2025, 4, 2),
                    rationale="My credits were lost in the old system.")
    holder = Client()
    holder.force_login(denial.holder)
    administrator = sign_in(client, make_staff(ADMINISTRATOR))

    with time_machine.travel("2025-04-05 10:00 +02:00", tick=False):
        before = holder.get(reverse("home")).content.decode()
        added = administrator.post(reverse("admin:appeals_boardmeeting_add"), {
            "meets_on": "2025-06-01", "location": "Utrecht", "notes": "",
            "appeals-TOTAL_FORMS": "0", "appeals-INITIAL_FORMS": "0"})
        after = holder.get(reverse("home")).content.decode()

    assert "Your appeal is filed and awaits a Board meeting date." in before
    assert added.status_code == 302
    assert "Your appeal is on the agenda of the Board meeting of 1 June 2025." in after
    assert "awaits a Board meeting date" not in after


def test_a_meeting_moved_shows_its_new_date_on_the_holders_cached_dashboard_at_once(client):
    certification = CertificationFactory(title=title("ISP"), awarded_on=date(2024, 3, 1))
    ensure_certification_years(today=date(2025, 3, 1), certifications=[certification])
    close_certification_years(today=date(2025, 3, 31))
    denial = Denial.objects.get(kind=DenialKind.DECERTIFIED)
    meeting = BoardMeeting.objects.create(meets_on=date(2025, 6, 1), location="Utrecht")
    with time_machine.travel("2025-04-02 12:00 +02:00", tick=False):
        file_appeal(denial=denial, by=denial.holder, today=date(2025, 4, 2),
                    rationale="My credits were lost in the old system.")
    holder = Client()
    holder.force_login(denial.holder)
    administrator = sign_in(client, make_staff(ADMINISTRATOR))
    url = reverse("admin:appeals_boardmeeting_change", args=[meeting.pk])

    with time_machine.travel("2025-04-05 10:00 +02:00", tick=False):
        before = holder.get(reverse("home")).content.decode()
        moved = administrator.post(url, form_data(administrator.get(url))
                                   | {"meets_on": "2025-06-08"})
        after = holder.get(reverse("home")).content.decode()

    assert "on the agenda of the Board meeting of 1 June 2025." in before
    assert moved.status_code == 302
    assert "on the agenda of the Board meeting of 8 June 2025." in after
def test_the_appeal_page_offers_only_the_decision_and_a_posted_change_changes_nothing(
        admin_client, appeal):
    url = reverse("admin:appeals_appeal_change", args=[appeal.pk])
    page = admin_client.get(url)

    response = admin_client.post(url, {"rationale": "Replaced by the Board.",
                                       "state": AppealState.DISMISSED,
                                       "decision_reason": "No.", "_save": "Save"})

    content = page.content.decode()
    assert page.context["adminform"].form.fields == {}
    assert [button for button in ('name="_save"', 'name="_continue"', 'name="_addanother"',
                                  "Continue to confirmation") if button in content] == [
        "Continue to confirmation"]
    assert reverse("admin:appeals_appeal_delete", args=[appeal.pk]) not in content
    assert response.status_code == 403
    appeal.refresh_from_db()
    assert (appeal.rationale, appeal.state, appeal.decision_reason) == (
        "It was relevant.", AppealState.FILED, "")


def test_appeals_are_not_added_in_the_admin(admin_client, appeal):
    other = Denial.objects.create(holder=appeal.denial.holder, kind=appeal.denial.kind,
                                  entry=appeal.denial.entry, denied_on=DENIED_ON)

    page = admin_client.get(reverse("admin:appeals_appeal_add"))
    response = admin_client.post(reverse("admin:appeals_appeal_add"),
                                 {"denial": other.pk, "rationale": "Filed by staff."})

    assert (page.status_code, response.status_code) == (403, 403)
    assert not hasattr(Denial.objects.get(pk=other.pk), "appeal")


def test_denials_are_read_only_in_the_admin(admin_client, appeal):
    denial = appeal.denial
    url = reverse("admin:submissions_denial_change", args=[denial.pk])

    page = admin_client.get(url)
    changed = admin_client.post(url, {"holder": denial.holder_id, "kind": denial.kind,
                                      "entry": denial.entry_id, "denied_on": "2025-01-01",
                                      "reason": "Rewritten", "created_at_0": "2025-01-01",
                                      "created_at_1": "10:00"})
    added = admin_client.post(reverse("admin:submissions_denial_add"), {
        "holder": denial.holder_id, "kind": denial.kind, "entry": denial.entry_id,
        "denied_on": "2025-01-01", "reason": "Made up", "created_at_0": "2025-01-01",
        "created_at_1": "10:00"})
    deleted = admin_client.post(reverse("admin:submissions_denial_delete", args=[denial.pk]),
                                {"post": "yes"})

    assert page.context["adminform"].form.fields == {}
    assert (changed.status_code, added.status_code, deleted.status_code) == (403, 403, 403)
    denial.refresh_from_db()
    assert (denial.denied_on, denial.reason) == (DENIED_ON, "Not relevant")
    assert Denial.objects.count() == 1


# The Board's appeal page: the decision under appeal, the entry or the year, a confirmation.

def page_of(client: Client, appeal) -> str:
    return client.get(reverse("admin:appeals_appeal_change", args=[appeal.pk])).content.decode()


def post_decision(client: Client, appeal, **data):
    return client.post(reverse("admin:appeals_appeal_decide", args=[appeal.pk]),
                       {"decision": "upheld", "reason": "Relevant after all.", **data})


@pytest.fixture
def book_appeal():
    """An appeal of a 250-page book (2.50 credits claimed, with proof) adjusted to 1.00."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from submissions.models import ProofFile
    from submissions.review import adjust_entry
    from tests.factories import activity

    certification = CertificationFactory(title=title("ISP"), awarded_on=date(2024, 3, 1))
    ensure_certification_years(today=DENIED_ON, certifications=[certification])
    entry = EntryFactory(holder=certification.holder, activity_type=activity("read-books"),
                         title="Threat Modeling", activity_date=date(2025, 3, 10), hours=None,
                         quantity=D("250"), claimed_credits=D("2.50"),
                         state=EntryState.PENDING_APPROVAL)
    proof = ProofFile(entry=entry, original_name="receipt.pdf", content_type="application/pdf",
                      size=10)
    proof.file.save("proof.pdf", SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 x"))
    adjust_entry(entry=entry, by=make_staff(REVIEWER), credits=D("1"), today=DENIED_ON,
                 reason="Only the first chapters are on security.")
    denial = Denial.objects.get(entry=entry)
    with time_machine.travel("2025-04-03 12:00 +02:00", tick=False):
        return file_appeal(denial=denial, by=denial.holder, today=DENIED_ON + timedelta(days=2),
                           rationale="The whole book is on threat modelling.")


@pytest.fixture
def decertification_appeal():
    certification = CertificationFactory(title=title("ISP"), awarded_on=date(2024, 3, 1))
    ensure_certification_years(today=date(2025, 3, 1), certifications=[certification])
    EntryFactory(holder=certification.holder, activity_date=date(2024, 6, 1), hours=D("12"),
                 claimed_credits=D("12"), state=EntryState.APPROVED)
    close_certification_years(today=date(2025, 3, 31))
    denial = Denial.objects.get(kind=DenialKind.DECERTIFIED, certification=certification)
    with time_machine.travel("2025-04-02 12:00 +02:00", tick=False):
        return file_appeal(denial=denial, by=denial.holder, today=date(2025, 4, 2),
                           rationale="My credits were lost in the old system.")


def test_the_entry_appeal_page_shows_the_denial_the_entry_its_amount_and_proof(client,
                                                                            book_appeal):
    sign_in(client, make_staff(BOARD))
    proof = book_appeal.denial.entry.proof_files.get()

    page = page_of(client, book_appeal)

    assert "Only the first chapters are on security." in page
    assert "Credit value adjusted" in page
    assert "1 April 2025" in page
    assert "Threat Modeling" in page
    assert "Read books" in page
    assert "250 pages" in page
    assert "2.50 credits" in page
    assert "1.00 credits (adjusted)" in page
    assert f'href="{reverse("submissions:proof_download", args=[proof.pk])}">receipt.pdf' in page
    assert 'name="credits"' in page
    assert client.get(reverse("submissions:proof_download", args=[proof.pk])).status_code == 200


def test_the_decertification_appeal_page_shows_the_year_and_offers_no_credits(
        client, decertification_appeal):
    sign_in(client, make_staff(BOARD))

    page = page_of(client, decertification_appeal)

    assert "Decertified" in page
    assert "ended with 12.00 of the 20.00 CPE credits" in page
    assert "Year 1: 1 March 2024 to 28 February 2025" in page
    assert "20.00 credits" in page  # required
    assert "12.00 credits" in page  # counted at the close
    assert "8.00 credits" in page  # short by
    assert "Closed as not met" in page
    assert 'name="credits"' not in page
    assert "Credits to count" not in page


def test_a_decision_is_confirmed_before_it_is_recorded(client, book_appeal):
    sign_in(client, make_staff(BOARD))

    confirmation = post_decision(client, book_appeal, credits="2")

    text = confirmation.content.decode()
    assert confirmation.status_code == 200
    assert "Confirm the Board" in text
    assert ("The entry “Threat Modeling” counts at 2.00 credits instead of the 1.00 approved "
            "(2.50 claimed).") in text
    assert "The decision is final" in text
    book_appeal.refresh_from_db()
    assert book_appeal.state == AppealState.FILED


def test_a_decertification_appeal_confirmation_says_the_certification_is_reinstated(
        client, decertification_appeal):
    sign_in(client, make_staff(BOARD))

    text = post_decision(client, decertification_appeal, credits="5").content.decode()
    recorded = post_decision(client, decertification_appeal, credits="5", confirm="yes")

    assert "certification is reinstated at once" in text
    assert "Year 1, closed as not met with 12.00 of 20.00 credits, becomes met" in text
    assert recorded.status_code == 302
    decertification_appeal.refresh_from_db()
    assert decertification_appeal.state == AppealState.UPHELD


def test_deciding_before_the_meeting_is_said_in_the_confirmation_and_recorded(client,
                                                                             book_appeal):
    meeting = BoardMeeting.objects.create(meets_on=date(2025, 4, 20), location="Utrecht")
    with time_machine.travel("2025-04-10 12:00 +02:00", tick=False):
        from appeals.services import schedule_waiting_appeals
        schedule_waiting_appeals()
        sign_in(client, make_staff(BOARD))
        text = post_decision(client, book_appeal, decision="dismissed").content.decode()
        done = client.get(post_decision(client, book_appeal, decision="dismissed",
                                        confirm="yes").url)
        decided_page = page_of(client, book_appeal)

    book_appeal.refresh_from_db()
    assert book_appeal.meeting == meeting
    assert ("This appeal is on the agenda of the Board meeting of 20 April 2025, in 10 days. "
            "You are deciding it before that meeting.") in text
    assert "the record will say the decision was taken before the meeting" in text
    assert (book_appeal.state, book_appeal.decided_before_meeting) == (AppealState.DISMISSED,
                                                                        True)
    assert "Recorded as decided before its Board meeting of 20 April 2025." in \
        done.content.decode()
    assert "decided before its Board meeting of 20 April 2025" in decided_page


def test_deciding_on_the_meeting_day_is_not_flagged(client, book_appeal):
    BoardMeeting.objects.create(meets_on=date(2025, 4, 20))
    with time_machine.travel("2025-04-10 12:00 +02:00", tick=False):
        from appeals.services import schedule_waiting_appeals
        schedule_waiting_appeals()
    with time_machine.travel("2025-04-20 15:00 +02:00", tick=False):
        sign_in(client, make_staff(BOARD))
        text = post_decision(client, book_appeal).content.decode()
        post_decision(client, book_appeal, confirm="yes")

    book_appeal.refresh_from_db()
    assert "Before the Board meeting" not in text
    assert (book_appeal.state, book_appeal.decided_before_meeting) == (AppealState.UPHELD, False)


@pytest.mark.parametrize("credits", ["1", "0.50", "2.51", "abc"])
def test_credits_outside_what_the_adjusted_entry_allows_are_refused_keeping_the_reasons(
        client, book_appeal, credits):
    sign_in(client, make_staff(BOARD))

    response = post_decision(client, book_appeal, credits=credits, confirm="yes",
                             reason="The whole book counts.")
    page = client.get(response.url).content.decode()

    assert response.status_code == 302
    book_appeal.refresh_from_db()
    assert book_appeal.state == AppealState.FILED
    assert "The decision is not recorded yet" in page
    assert "The whole book counts." in page


def test_the_service_refuses_credits_on_a_decertification_and_at_or_below_the_adjustment(
        book_appeal, decertification_appeal):
    from django.core.exceptions import ValidationError

    from appeals.services import decide_appeal

    board = make_staff(BOARD)
    with pytest.raises(ValidationError, match="sets no credits"):
        decide_appeal(appeal=decertification_appeal, by=board, upheld=True, reason="Yes.",
                      credits=D("3"))
    with pytest.raises(ValidationError, match=r"more than the 1\.00 credits"):
        decide_appeal(appeal=book_appeal, by=board, upheld=True, reason="Yes.", credits=D("1"))


def test_going_back_from_the_confirmation_keeps_what_was_typed(client, book_appeal):
    sign_in(client, make_staff(BOARD))

    response = post_decision(client, book_appeal, change="yes", reason="Half of it.",
                             credits="1.75")
    page = client.get(response.url).content.decode()

    assert "Half of it." in page
    assert 'value="1.75"' in page
    book_appeal.refresh_from_db()
    assert book_appeal.state == AppealState.FILED


# Adding a Board meeting says what it did to the waiting appeals.

def add_meeting(client: Client, meets_on: str):
    return client.post(reverse("admin:appeals_boardmeeting_add"), {
        "meets_on": meets_on, "location": "Utrecht", "notes": "",
        "appeals-TOTAL_FORMS": "0", "appeals-INITIAL_FORMS": "0"}, follow=True)


def test_adding_a_meeting_says_how_many_waiting_appeals_it_took(client, appeal):
    sign_in(client, make_staff(ADMINISTRATOR))
    with time_machine.travel("2025-04-05 10:00 +02:00", tick=False):
        page = add_meeting(client, "2025-05-01").content.decode()

    assert ("The meeting of 1 May 2025 took 1 waiting appeal onto its agenda; its holder is "
            "told by mail. No appeal is left waiting for a meeting.") in page


def test_a_meeting_too_soon_takes_no_appeal_and_says_why(client, appeal):
    # Filed on 3 April 2025: with 7 days to prepare, its first meeting is on 10 April or later.
    sign_in(client, make_staff(ADMINISTRATOR))
    with time_machine.travel("2025-04-05 10:00 +02:00", tick=False):
        page = add_meeting(client, "2025-04-08").content.decode()

    assert ("The meeting of 8 April 2025 took no appeal: an appeal goes to a meeting at least "
            "7 days after it was filed (the preparation period), and the appeal waiting was "
            "filed too close to this date. 1 appeal still waits for a meeting; the earliest "
            "filed can go to a meeting on or after 10 April 2025.") in page
    appeal.refresh_from_db()
    assert appeal.state == AppealState.FILED


def test_a_meeting_with_nothing_waiting_says_so(client):
    sign_in(client, make_staff(ADMINISTRATOR))

    page = add_meeting(client, "2027-05-01").content.decode()

    assert "The meeting of 1 May 2027 took no appeal: none is waiting for a meeting." in page


def test_a_path_below_the_appeal_page_is_not_a_server_error(client, appeal):
    # Browsers and checkers resolve a stylesheet's relative @import against the page's URL.
    sign_in(client, make_staff(BOARD))

    response = client.get(reverse("admin:appeals_appeal_change", args=[appeal.pk])
                          + "widgets.css/")

    assert response.status_code in (302, 404)


@pytest.mark.parametrize("data", [
    {"decision": "maybe"}, {"reason": "   "}, {"credits": "1e9"}, {"credits": "NaN"},
    {"decision": "", "reason": "", "credits": ""}])
def test_a_tampered_or_empty_decision_is_refused_without_an_error_page(client, appeal, data):
    sign_in(client, make_staff(BOARD))

    response = post_decision(client, appeal, confirm="yes", **data)

    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == AppealState.FILED


def test_the_decision_url_of_no_appeal_is_a_404(client):
    sign_in(client, make_staff(BOARD))

    response = client.post(reverse("admin:appeals_appeal_decide", args=[999_999]),
                           {"decision": "upheld", "reason": "Yes.", "confirm": "yes"})

    assert response.status_code == 404


def test_the_appeal_page_reads_a_fixed_number_of_queries(client, book_appeal,
                                                         django_assert_max_num_queries):
    from submissions.models import ProofFile

    sign_in(client, make_staff(BOARD))
    entry = book_appeal.denial.entry
    for number in range(5):
        ProofFile.objects.create(entry=entry, original_name=f"page-{number}.pdf",
                                 content_type="application/pdf", size=10,
                                 file=f"proof/x{number}.pdf")

    with django_assert_max_num_queries(25):
        page = page_of(client, book_appeal)

    assert "page-4.pdf" in page

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
    return client.post(reverse("admin:appeals_appeal_decide", args=[appeal.pk]),
                       {"decision": "upheld", "reason": "Relevant after all.", **data})


@pytest.mark.parametrize("role", [BOARD, ADMINISTRATOR])
def test_the_board_and_administrators_record_the_decision(client, appeal, role):
    sign_in(client, make_staff(role))
    page = client.get(reverse("admin:appeals_appeal_change", args=[appeal.pk]))
    assert "Record the decision" in page.content.decode()

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

    assert "Record the decision" not in page.content.decode()
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
                                  "Record the decision") if button in content] == [
        "Record the decision"]
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

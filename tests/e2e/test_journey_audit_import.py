"""A reviewer's audit and attendance import in real Chromium, at 1,280 and 390 px: the audit
sample previewed (who, which entries, an approved entry stopping and a year falling from met),
confirmed, and its page listing the entries asked; an attendance list imported and its report
read, with the holder's mail and the entry saying it came from an import."""

from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from accounts.models import OutboxMessage
from accounts.roles import REVIEWER
from submissions.enums import EntryState
from submissions.models import Audit, Entry
from tests.e2e.checks import SIZES
from tests.factories import EntryFactory, UserFactory, activity
from tests.staff import make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@SIZES
def test_reviewer_previews_an_audit_sample_then_confirms_it(
        sized_page: Page, live_server, make_holder, sign_in_staff, checks, shoot, today,
        viewport):
    page = sized_page
    hanna = make_holder("ISP", days_ago=200, full_name="Hanna Met")
    approved = EntryFactory(holder=hanna, activity_date=today - timedelta(days=20),
                            hours=Decimal("20"), claimed_credits=Decimal("20.00"),
                            state=EntryState.APPROVED, title="Incident Response Course")
    reviewer = make_staff(REVIEWER, full_name="Rita Reviewer")

    sign_in_staff(page, reviewer, "/admin/submissions/audit/add/")
    checks(page)
    seed = page.get_by_label("Seed").input_value()
    assert seed
    page.get_by_label("Period from").fill((today - timedelta(days=60)).isoformat())
    page.get_by_label("Period to").fill(today.isoformat())
    page.get_by_label("Share of holders (%)").fill("100")
    page.get_by_role("button", name="Preview the sample").click()

    expect(page.get_by_role("heading", name="Preview: nothing has been asked yet")).to_be_visible()
    expect(page.locator("#audit-preview")).to_contain_text("Incident Response Course")
    expect(page.locator("#audit-preview")).to_contain_text(
        "1 approved entry would stop counting until its proof is accepted.")
    expect(page.locator("#audit-preview")).to_contain_text("met → at risk")
    assert page.get_by_label("Seed").input_value() == seed
    assert Audit.objects.count() == 0
    checks(page)
    shoot(page, f"audit-preview-{viewport['width']}.png")

    page.get_by_role("button", name="Confirm and request proof of 1 entry").click()

    expect(page.locator(".messagelist")).to_contain_text("1 holder of 1 drawn; 1 proof request")
    expect(page.locator("#audit-asked")).to_contain_text("Incident Response Course")
    expect(page.locator("#audit-asked")).to_contain_text("proof requested")
    checks(page)
    shoot(page, f"audit-sample-{viewport['width']}.png")
    approved.refresh_from_db()
    assert approved.state == EntryState.PROOF_REQUESTED
    assert Audit.objects.get().seed == seed
    checks.assert_clean()


@SIZES
def test_reviewer_imports_attendance_and_reads_the_report(
        sized_page: Page, live_server, make_holder, sign_in_staff, checks, shoot, today,
        viewport, tmp_path):
    page = sized_page
    anna = make_holder("ISP", days_ago=200, full_name="Anna Attendee",
                       email="anna.attendee.with.a.long.address@example.com")
    UserFactory(email="no.cpe@example.com", full_name="Fay Foundation")
    day = (today - timedelta(days=10)).isoformat()
    csv = tmp_path / "attendance.csv"
    csv.write_text(
        "email,webinar title,webinar date,webinar minutes,attended minutes\n"
        f"{anna.email},Threat Intelligence for Security Operations Centres,{day},90,90\n"
        f"no.cpe@example.com,Threat Intelligence for Security Operations Centres,{day},90,90\n"
        f"nobody@example.com,Threat Intelligence for Security Operations Centres,{day},90,30\n")
    reviewer = make_staff(REVIEWER, full_name="Rita Reviewer")

    sign_in_staff(page, reviewer, "/admin/submissions/entry/import-attendance/")
    checks(page)
    page.get_by_label("Attendance list (CSV)").set_input_files(str(csv))
    page.get_by_role("button", name="Import").click()

    report = page.locator("#attendance-report")
    expect(report).to_contain_text("Rows: 3. Logged: 1.")
    expect(report).to_contain_text("Holder Fay Foundation has no active certification")
    checks(page)
    shoot(page, f"attendance-report-{viewport['width']}.png")

    entry = Entry.objects.get(holder=anna)
    mail = OutboxMessage.objects.get(kind="entries_imported")
    assert mail.to == anna.email
    assert "Threat Intelligence for Security Operations Centres" in mail.body_text
    report.get_by_role("link", name=str(entry.pk)).click()
    expect(page.locator(".field-logged_by")).to_contain_text(
        "Rita Reviewer (staff), from a webinar attendance import on")
    checks(page)
    assert entry.activity_type == activity("attend-webinar")
    checks.assert_clean()

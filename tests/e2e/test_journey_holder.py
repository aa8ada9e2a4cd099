"""A holder's day in Chromium, at 1,280 and 390 px: proof a reviewer asked for (from the
dashboard to the upload in one click, with its due date), the decisions from the navigation
and from the dashboard, and a certification the Board reinstated. Every page passes axe-core
and does not scroll sideways."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils.formats import date_format
from playwright.sync_api import Page, expect

from accounts.roles import BOARD, REVIEWER
from appeals.services import decide_appeal, file_appeal
from certifications.models import Certification
from submissions.models import Denial
from submissions.review import reject_entry, request_proof
from submissions.services import EntryDetails, log_entry
from tests.e2e.checks import SIZES
from tests.factories import activity, pdf_bytes
from tests.staff import make_staff
from yearend.closing import close_certification_years

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def log_course(holder, today: date, title: str, hours: str = "3"):
    return log_entry(holder=holder, today=today, details=EntryDetails.from_data({
        "activity_type": activity("other-course"), "activity_date": today - timedelta(days=5),
        "title": title, "hours": Decimal(hours), "relevance_confirmed": True}))


@SIZES
def test_holder_owing_proof_uploads_it_from_the_dashboard(
        sized_page: Page, checks, make_holder, sign_in, today, shoot, viewport, tmp_path):
    page = sized_page
    holder = make_holder("ISP", full_name="Olga Owing")
    log_course(holder, today, "Risk workshop", hours="2")
    course = log_course(holder, today, "Cloud security course")
    due = today + timedelta(days=14)
    request_proof(entry=course, by=make_staff(REVIEWER), today=today, due_on=due)

    sign_in(page, holder.email)
    owed = f"3.00 credits wait for your proof, due by {date_format(due)}"
    expect(page.get_by_text(owed)).to_be_visible()
    expect(page.get_by_text("3.00 credits awaiting review")).to_have_count(0)
    # What counted, by activity, with its unit.
    expect(page.locator("ul.activity-chart .chart-value")).to_have_text(["2.00 credits"])
    checks(page)
    shoot(page, f"holder-proof-owed-{viewport['width']}.png")

    page.get_by_role("link", name="Upload proof for “Cloud security course”").click()
    expect(page.get_by_text(f"A reviewer asked for proof of this activity, due by "
                            f"{date_format(due)}.")).to_be_visible()
    expect(page.get_by_text("Proof is optional")).to_have_count(0)
    expect(page.locator("#upload-proof")).to_be_in_viewport()
    checks(page)
    proof = tmp_path / "certificate.pdf"
    proof.write_bytes(pdf_bytes())
    page.locator("#upload-proof input[type=file]").set_input_files(str(proof))
    page.locator("#upload-proof").get_by_role("button", name="Upload proof").click()
    expect(page.get_by_text("Proof uploaded.")).to_be_visible()
    checks(page)

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_text("wait for your proof")).to_have_count(0)
    expect(page.get_by_text("3.00 credits awaiting review")).to_be_visible()
    checks(page)
    checks.assert_clean()


@SIZES
def test_holder_reads_decisions_from_the_navigation_and_the_dashboard(
        sized_page: Page, checks, make_holder, sign_in, today, shoot, viewport):
    page = sized_page
    holder = make_holder("ISP", full_name="Dirk Decided")
    reviewer = make_staff(REVIEWER)
    for title in ("Cloud course", "Phishing webinar notes"):
        reject_entry(entry=log_course(holder, today, title), by=reviewer,
                     reason="Not relevant to the field", today=today)
    appealed = Denial.objects.get(entry__title="Phishing webinar notes")
    file_appeal(denial=appealed, by=holder, today=today,
                rationale="The notes cover phishing defence, which is my field.")

    sign_in(page, holder.email)
    decisions = page.locator("section.open-decisions")
    expect(decisions.get_by_role("heading", name="Decisions and appeals")).to_be_visible()
    expect(decisions.get_by_text("Appeal filed — awaiting a meeting date")).to_be_visible()
    until = date_format(today + timedelta(days=90))
    expect(decisions.get_by_text(f"Appeal until {until}")).to_be_visible()
    checks(page)
    shoot(page, f"holder-decisions-dashboard-{viewport['width']}.png")

    decisions.get_by_role("link", name="Entry rejected: “Cloud course”").click()
    expect(page.get_by_role("heading", name="Appeal this decision")).to_be_visible()
    checks(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Decisions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Decisions and appeals")
    expect(page.get_by_role("link", name="Entry rejected: “Phishing webinar notes”"))\
        .to_be_visible()
    checks(page)
    checks.assert_clean()


@SIZES
def test_holder_sees_the_certification_reinstated_on_appeal(
        sized_page: Page, checks, make_holder, sign_in, today, shoot, viewport):
    page = sized_page
    # Year 1 ended 35 days ago with nothing logged: the close decertifies; the Board upholds.
    holder = make_holder("ISP", days_ago=400, full_name="Rita Reinstated")
    close_certification_years(today=today)
    denial = Denial.objects.get(holder=holder)
    appeal = file_appeal(denial=denial, by=holder, today=today,
                         rationale="My training records were not transferred in time.")
    decide_appeal(appeal=appeal, by=make_staff(BOARD), upheld=True,
                  reason="The records show the credits.")
    assert Certification.objects.get(holder=holder).is_active

    sign_in(page, holder.email)
    card = page.locator("section.certification-card")
    expect(card.get_by_text(f"Reinstated on {date_format(today)} by the Board\u2019s "
                            "decision.")).to_be_visible()
    expect(card.get_by_text("Decertified", exact=True)).to_have_count(0)
    checks(page)
    shoot(page, f"holder-reinstated-{viewport['width']}.png")

    card.get_by_role("link", name="See the decision").click()
    expect(page.get_by_role("heading", name="The Board upheld your appeal")).to_be_visible()
    expect(page.get_by_text(f"Appeal upheld on {date_format(today)}")).to_be_visible()
    checks(page)
    checks.assert_clean()


@SIZES
def test_holder_owing_many_proofs_sees_the_soonest_and_finds_the_rest(
        sized_page: Page, checks, make_holder, sign_in, today, shoot, viewport):
    page = sized_page
    holder = make_holder("ISP", full_name="Mona Many")
    reviewer = make_staff(REVIEWER)
    for number in range(12):
        course = log_course(holder, today, f"Course {number:02d}", hours="1")
        request_proof(entry=course, by=reviewer, today=today,
                      due_on=today + timedelta(days=10 + number), notify=False)

    sign_in(page, holder.email)
    owed = page.locator(".proof-owed li")
    expect(owed).to_have_count(10)
    expect(owed.first).to_contain_text("“Course 00”")
    expect(page.get_by_text("12.00 credits wait for your proof")).to_be_visible()
    checks(page)
    shoot(page, f"holder-many-proofs-{viewport['width']}.png")

    page.get_by_role("link", name="2 more activities wait for your proof: see your activities "
                                  "with proof requested").click()
    expect(page.get_by_label("State")).to_have_value("proof_requested")
    expect(page.locator("tbody tr")).to_have_count(12)
    checks(page)
    checks.assert_clean()

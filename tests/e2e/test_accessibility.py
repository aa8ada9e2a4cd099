"""axe-core finds no serious or critical accessibility violation on the holder's pages, the
public badge page and the sign-in and sign-up pages."""

from datetime import date, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from certifications.enums import YearState
from certifications.services import ensure_certification_years
from submissions.enums import DenialKind
from submissions.services import record_denial

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

BLOCKING = {"serious", "critical"}
WEBINAR = "Attend a webinar (SECO webinars included)"


def blocking_violations(axe: Axe, page: Page) -> list[str]:
    """One line per serious or critical violation: rule, impact, and the offending nodes."""
    results = axe.run(page)
    return [
        f"{page.url} {violation['id']} ({violation['impact']}): {violation['help']} -> "
        + "; ".join(", ".join(node["target"]) for node in violation["nodes"])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING
    ]


def test_pages_have_no_serious_accessibility_violations(
    page: Page, live_server, make_holder, log_webinar, sign_in
) -> None:
    # Arrange: a holder with two certifications and an entry with proof.
    holder = make_holder("ISP", "ISE")
    entry = log_webinar(holder)
    certification = holder.certifications.get(title__code="ISP")
    base = live_server.url
    axe = Axe()
    found: list[str] = []

    # Act: the public pages, signed out.
    page.goto(f"{base}/accounts/login/")
    found += blocking_violations(axe, page)
    page.goto(f"{base}/accounts/signup/")
    found += blocking_violations(axe, page)
    page.goto(f"{base}/verify/{certification.badge_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Badge verification")
    found += blocking_violations(axe, page)

    # Act: the holder's pages, signed in.
    sign_in(page, holder.email)
    found += blocking_violations(axe, page)
    page.goto(f"{base}/entries/new/")
    found += blocking_violations(axe, page)
    # The log form again with an activity chosen: the rule fields and the live preview show.
    select = page.locator("select[name=activity_type]")
    select.select_option(label=select.locator("option", has_text=WEBINAR).inner_text())
    page.get_by_label("Date of the activity").fill(entry.activity_date.isoformat())
    page.get_by_label("Length of the session (minutes)").fill("60")
    page.get_by_label("Minutes you attended").fill("60")
    expect(page.locator("#preview .preview-credits")).to_have_text("1.00")
    found += blocking_violations(axe, page)
    page.goto(f"{base}/entries/")
    found += blocking_violations(axe, page)
    page.goto(f"{base}/entries/{entry.pk}/")
    found += blocking_violations(axe, page)
    page.goto(f"{base}/entries/{entry.pk}/withdraw/")
    found += blocking_violations(axe, page)
    page.goto(f"{base}/certifications/{certification.pk}/years/")
    found += blocking_violations(axe, page)
    page.goto(f"{base}/certifications/{certification.pk}/years/1/")
    found += blocking_violations(axe, page)

    # Assert
    print("\n".join(found))
    assert found == []


def test_year_end_pages_have_no_serious_accessibility_violations(
    page: Page, live_server, make_holder, sign_in, today: date
) -> None:
    # Arrange: two certifications awarded 500 days ago, whose year 1 ended short: one held
    # (the close has not run), the other closed as not met and decertified, with its denial.
    holder = make_holder("ISP", "ISE", days_ago=500)
    held, decertified = (holder.certifications.get(title__code=code) for code in ("ISE", "ISP"))
    ensure_certification_years(today=today, certifications=[held, decertified])
    decertified.years.filter(number=1).update(state=YearState.NOT_MET)
    decertified.status, decertified.decertified_on = "decertified", today - timedelta(days=5)
    decertified.save()
    record_denial(holder=holder, kind=DenialKind.DECERTIFIED, certification=decertified,
                  denied_on=decertified.decertified_on, reason="Year 1 ended short.")
    base = live_server.url
    axe = Axe()
    found: list[str] = []

    # Act
    page.goto(f"{base}/verify/{decertified.badge_id}/")
    expect(page.locator(".badge-status")).to_contain_text("Revoked")
    found += blocking_violations(axe, page)
    sign_in(page, holder.email)
    expect(page.get_by_text("Missed — being closed")).to_be_visible()
    found += blocking_violations(axe, page)
    for certification in (held, decertified):
        page.goto(f"{base}/certifications/{certification.pk}/years/")
        found += blocking_violations(axe, page)
        page.goto(f"{base}/certifications/{certification.pk}/years/1/")
        found += blocking_violations(axe, page)

    # Assert
    print("\n".join(found))
    assert found == []

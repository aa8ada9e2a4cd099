"""An administrator opens the holders overview and the compliance summary, in real Chromium at
1,280 and 390 px, with holders met, on track, at risk, held and decertified: every standing reads
as a word beside its colour, the chart has a series for each (decertified too), a long title
reads whole, a title without holders shows "—" for its share met, and neither page scrolls
sideways on a phone."""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils.formats import date_format
from playwright.sync_api import Page, expect

from accounts.roles import ADMINISTRATOR
from certifications.enums import CertificationStatus, YearState
from certifications.models import Certification
from certifications.services import ensure_certification_years
from tests.e2e.checks import SIZES, PageChecks
from tests.factories import CertificationFactory, UserFactory, title
from tests.staff import make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

CISO = "Certified Information Security Officer"


def certified(name: str, code: str, *, awarded_on: date, today: date,
              counted: str = "0") -> Certification:
    """A holder named `name` with a certification of `code`, its years laid up to today and
    `counted` credits in the year that decides it. The overview lists holders by address."""
    holder = UserFactory(full_name=name, email=f"{name.split()[0].lower()}@example.com")
    certification = CertificationFactory(holder=holder, title=title(code), awarded_on=awarded_on)
    ensure_certification_years(today=today, certifications=Certification.objects.filter(
        pk=certification.pk).select_related("title__level"))
    certification.years.filter(number=1).update(counted_credits=Decimal(counted))
    return certification


def lay_holders(today: date) -> None:
    # Met: 20 of 20 credits, half-way through the year.
    certified("Mia Met", "ISP", awarded_on=today - timedelta(days=180), today=today,
              counted="20")
    # On track: a month into the year, nothing logged yet.
    certified("Otto Track", "ISP", awarded_on=today - timedelta(days=30), today=today)
    # At risk, with the long title: most of the year gone, 2 of 40 credits.
    certified("Rosa Risk", "CISO", awarded_on=today - timedelta(days=300), today=today,
              counted="2")
    # Held: the year ended over a month ago, the close holds it for a decision.
    held = certified("Hugo Held", "ISP", awarded_on=today - timedelta(days=420), today=today,
                     counted="12")
    first = held.years.get(number=1)
    held.years.filter(number=1).update(state=YearState.WAITING,
                                       held_since=first.deadline + timedelta(days=1))
    # Decertified today: no deciding year, counted among this year's decertifications.
    gone = certified("Dora Decertified", "DPP", awarded_on=today - timedelta(days=500),
                     today=today)
    Certification.objects.filter(pk=gone.pk).update(status=CertificationStatus.DECERTIFIED,
                                                    decertified_on=today)


@SIZES
def test_administrator_reads_the_holders_overview_and_the_compliance_summary(
        sized_page: Page, live_server, today: date, sign_in_staff: Callable,
        checks: PageChecks, shoot: Callable, viewport: dict) -> None:
    lay_holders(today)
    page, width = sized_page, viewport["width"]

    sign_in_staff(page, make_staff(ADMINISTRATOR, full_name="Alex Admin"),
                  "/admin/submissions/holder/")
    # Once more without the "signed in" message, for the screenshot the README shows.
    page.reload()
    checks(page)
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(5)
    standings = page.locator("#result_list .holder-progress")
    # Each standing as a symbol and a word beside its colour.
    expect(standings).to_have_text([
        "✖ decertified", "▲ held", "✔ met", "● on track", "▲ at risk"])
    expect(page.locator("#result_list")).to_contain_text(
        f"{CISO} (year 1): 2.00 of 40.00 credits")
    expect(page.locator("#result_list")).to_contain_text(
        f"Data Protection Practitioner — ✖ decertified on {date_format(today)}")
    shoot(page, f"holder-overview-{width}.png")

    page.get_by_role("link", name="Compliance summary").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Compliance summary")
    checks(page)
    chart = page.locator("figure.compliance-chart")
    # Every series in the legend, in words beside its colour, decertified too.
    expect(chart.locator(".chart-legend li")).to_have_text([
        "✔ met", "● on track", "▲ at risk or held", "✖ decertified this year"])
    rows = chart.locator(".chart-row")
    expect(rows.locator(".chart-label")).to_have_text([
        "Data Protection Practitioner", "Information Security Practitioner", CISO])
    # Each bar's numbers in words; a title whose only holder was decertified has a bar too.
    expect(rows.locator(".chart-counts")).to_have_text([
        "0 holders, ✖ 1 decertified this year",
        "3 holders, ✔ 1 met, ● 1 on track, ▲ 1 at risk or held",
        "1 holder, ▲ 1 at risk or held"])
    # The long title whole: wrapped if it must, never cut short.
    ciso = rows.nth(2).locator(".chart-label")
    assert ciso.evaluate("e => e.scrollWidth <= e.clientWidth"), "the title is cut"
    expect(chart).not_to_contain_text("…")
    # No holder left: no share met to give, not 0%.
    by_title = page.locator("table.compliance-table").first
    dpp = by_title.locator("tbody tr").filter(has_text="Data Protection Practitioner")
    expect(dpp.locator("td").nth(5)).to_have_text("—")
    isp = by_title.locator("tbody tr").filter(has_text="Information Security Practitioner")
    expect(isp.locator("td").nth(5)).to_have_text("33%")
    shoot(page, f"compliance-summary-{width}.png")

    checks.assert_clean()

"""Staff see held years and the years about to fail, in real Chromium at 1,280 and 390 px: the
admin index counts the held years, the review queue puts their entries first with the days
held, and the holders overview shows each certification's deciding year with its deadline."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import Page, expect

from certifications.enums import YearState
from certifications.models import Certification
from certifications.services import ensure_certification_years
from submissions.enums import EntryState
from tests.factories import PASSWORD, CertificationFactory, EntryFactory, UserFactory, activity
from tests.factories import title as title_of
from tests.staff import make_staff, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def long_date(day) -> str:
    return date_format(day)


def pending_book(holder, day, **fields):
    return EntryFactory(holder=holder, activity_type=activity("read-books"), hours=None,
                        quantity=Decimal("250"), claimed_credits=Decimal("2.50"),
                        state=EntryState.PENDING_APPROVAL, activity_date=day, **fields)


def lay_years(certification: Certification, today) -> None:
    ensure_certification_years(today=today, certifications=Certification.objects.filter(
        pk=certification.pk).select_related("title__level"))


def test_staff_see_held_years_first_and_the_deciding_years_of_holders(
        page: Page, live_server, today, shoot):
    now = timezone.now()
    # Piet's Practitioner year 1 ended over a month ago; the close holds it since the day
    # after its deadline for a book that waits for a decision.
    piet = CertificationFactory(holder=UserFactory(full_name="Piet Jansen"),
                                awarded_on=today - timedelta(days=400))
    lay_years(piet, today)
    first = piet.years.get(number=1)
    held_since = first.deadline + timedelta(days=1)
    pending_book(piet.holder, first.starts_on + timedelta(days=30),
                 title="Piet's book in his held year", logged_at=now - timedelta(days=10))
    piet.years.filter(number=1).update(state=YearState.WAITING, held_since=held_since,
                                       counted_credits=Decimal("12"))
    # Sam's Expert year 1 ended 23 days ago with 3 of 40 credits: 7 days to its deadline.
    sam = CertificationFactory(holder=UserFactory(full_name="Sam Okafor"), title=title_of("DPE"),
                               awarded_on=(today - timedelta(days=22)).replace(
                                   year=today.year - 1))
    lay_years(sam, today)
    sam.years.filter(number=1).update(counted_credits=Decimal("3"))
    sam.years.filter(number=2).update(counted_credits=Decimal("1"))
    # Someone with only an open year logged a book before Piet did.
    other = CertificationFactory(holder=UserFactory(full_name="Olga Open"),
                                 awarded_on=today - timedelta(days=60))
    lay_years(other, today)
    pending_book(other.holder, today - timedelta(days=40), title="Olga's book",
                 logged_at=now - timedelta(days=50))
    reviewer = make_staff("Reviewer", full_name="Rita Reviewer")
    held_days = (today - held_since).days

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Email").fill(reviewer.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.locator("input[name=code]").fill(totp_code())
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_text(f"1 year held for decisions, since {long_date(held_since)} "
                            f"({held_days} days).")).to_be_visible()
    shoot(page, "held-admin-index-1280.png")

    page.get_by_role("link", name="See their entries").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Needs a decision").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Piet's book in his held year")
    expect(rows.nth(0).locator("td.field-held")).to_have_text(f"held {held_days} days")
    expect(rows.nth(1)).to_contain_text("Olga's book")
    for column in ("Entry", "Holder", "Activity", "Date", "Credits", "State", "Proof",
                   "Logged", "Year held"):
        header = page.locator("#result_list thead th").filter(has_text=column).first
        box = header.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1280, column
    shoot(page, "held-review-queue-1280.png")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "held-review-queue-390.png")

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/submissions/holder/?standing=at_risk")
    lines = page.locator("#result_list td.field-deciding_years")
    expect(lines).to_have_count(2)
    sam_deadline = sam.years.get(number=1).deadline
    expect(page.locator("#result_list")).to_contain_text(
        f"Data Protection Expert (year 1): 3.00 of 40.00 credits, deadline "
        f"{long_date(sam_deadline)}, 7 days left — ▲ at risk")
    expect(page.locator("#result_list")).to_contain_text(
        f"(year 1): 12.00 of 20.00 credits, deadline {long_date(first.deadline)}, held for "
        f"decisions since {long_date(held_since)} ({held_days} days) — ▲ held")
    expect(page.locator("#result_list")).not_to_contain_text("1.00 of 40.00")
    shoot(page, "held-holders-overview-1280.png")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, "held-holders-overview-390.png")
    page.goto(f"{live_server.url}/admin/submissions/holder/summary/")
    expect(page.locator(".chart-row").filter(has_text="Data Protection Expert")).to_contain_text(
        "1 holder, ▲ 1 at risk or held")
    shoot(page, "held-compliance-summary-390.png")

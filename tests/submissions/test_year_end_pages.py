"""What a holder reads once a certification year has ended short of its requirement, on the
dashboard, the years page and the public badge: the year held until the year-end close decides
it, the decertification that follows with how to appeal, and a year closed as met.

The close itself is not here: each test leaves the stored years, the certification and the
denial as the close does, and bumps the holder's records version as it does."""

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from accounts.services import records_changed
from certifications.enums import CLOSED_YEAR_STATES, YearState
from certifications.models import Certification, CertificationYear
from certifications.services import ensure_certification_years
from submissions.enums import DenialKind, EntryState
from submissions.services import record_denial
from tests.factories import CertificationFactory, EntryFactory, title

pytestmark = pytest.mark.django_db

D = Decimal
# An Information Security Expert certification (40 credits a year) awarded 1 September 2024:
# year 1 ran to 31 August 2025, with a reporting deadline of 30 September 2025.
AWARDED = date(2024, 9, 1)
DECERTIFIED = date(2025, 10, 1)
YEAR_1 = "Year 1 (1 September 2024 to 31 August 2025) ended with 21 of 40 credits"


@pytest.fixture
def on_day() -> Iterator:
    """Stop the clock at noon, Amsterdam time, on a given day."""
    travellers = []

    def _on(day: date) -> None:
        traveller = time_machine.travel(f"{day.isoformat()} 12:00 +01:00", tick=False)
        traveller.start()
        travellers.append(traveller)

    yield _on
    for traveller in reversed(travellers):
        traveller.stop()


@pytest.fixture
def expert(holder, client) -> Certification:
    """The holder's Expert certification, 21 credits counted in year 1; the holder signed in."""
    certification = CertificationFactory(holder=holder, title=title("ISE"), awarded_on=AWARDED)
    ensure_certification_years(today=date(2025, 11, 15), certifications=[certification])
    EntryFactory(holder=holder, activity_date=date(2025, 3, 1), hours=D("21"),
                 claimed_credits=D("21"))
    client.force_login(holder)
    return certification


def awaiting_decision(holder) -> None:
    # Enough to make the year met if approved: the close holds the year for it.
    EntryFactory(holder=holder, activity_date=date(2025, 5, 1), hours=D("19"),
                 claimed_credits=D("19"), state=EntryState.PENDING_APPROVAL)


def close_year_1(certification: Certification, state: str) -> None:
    """Set year 1's close state as the year-end close would."""
    CertificationYear.objects.filter(certification=certification, number=1).update(
        state=state, closed_at=timezone.now() if state in CLOSED_YEAR_STATES else None)
    records_changed(holder_ids=[certification.holder_id])


def decertify(certification: Certification) -> None:
    """Close year 1 as not met and decertify, with the denial the holder may appeal."""
    close_year_1(certification, YearState.NOT_MET)
    certification.status, certification.decertified_on = "decertified", DECERTIFIED
    certification.save()
    record_denial(holder=certification.holder, kind=DenialKind.DECERTIFIED,
                  certification=certification, denied_on=DECERTIFIED,
                  reason="Year 1 ended with 21 of 40 credits.")
    records_changed(holder_ids=[certification.holder_id])


def read(client, url: str) -> str:
    """The page's main content as a holder reads it: text only, spaces collapsed."""
    html = client.get(url).content.decode()
    return " ".join(strip_tags(html[html.index("<main"):html.index("</main>")]).split())


def dashboard(client) -> str:
    return read(client, reverse("home"))


def years_page(client, certification: Certification) -> str:
    return read(client, reverse("submissions:year_list", args=[certification.pk]))


def badge(client, certification: Certification) -> str:
    return read(client, reverse("certifications:badge", args=[certification.badge_id]))


WILL_BE_DECERTIFIED = (
    "Nothing from that year awaits a decision, so unless an open appeal can still make up the "
    "difference, this certification will be decertified when the year is closed: the title may "
    "then no longer be used, and its badge is revoked.")
HELD_FOR_DECISIONS = (
    "19.00 credits from that year still await a reviewer\u2019s decision, so the year is held "
    "until they are decided: if they make up the difference, the year is met; if not, this "
    "certification is decertified.")
HELD_FOR_APPEAL = (
    "An appeal is still open, so the year is held until the Board decides it: if the decision "
    "makes up the difference, the year is met; if not, this certification is decertified.")
DECERTIFIED_BECAUSE = (
    "This certification was decertified on 1 October 2025 because year 1 (1 September 2024 to "
    "31 August 2025) ended with 21 of 40 credits. You may no longer use the title Information "
    "Security Expert, and its badge is revoked.")
APPEAL_UNTIL = (
    "If you disagree, you can appeal to the Board in writing within 90 days of the decision, "
    "until 30 December 2025: explain why in at most two pages and attach any documents that "
    "support it. Appeal this decision")
APPEAL_CLOSED = "The time to appeal this decision ended on 30 December 2025."


# --- (a) Past its deadline short, the close not run yet ------------------------------------

def test_dashboard_year_past_its_deadline_short_says_it_ended_short_not_on_track(
        client, expert, on_day):
    on_day(date(2025, 11, 15))

    page = dashboard(client)

    assert "Year 1 Missed — being closed" in page
    assert f"{YEAR_1}, short of the requirement. Its reporting deadline was 30 September 2025." \
        in page
    assert WILL_BE_DECERTIFIED in page
    # Year 2 has barely begun, but with year 1 undecided the certification is at risk.
    assert "Current year (2)" in page
    assert "At risk — 40.00 credits still needed." in page
    assert "On track" not in page


def test_dashboard_year_past_its_deadline_with_entries_awaiting_a_decision_says_held(
        client, holder, expert, on_day):
    awaiting_decision(holder)
    on_day(date(2025, 11, 15))

    page = dashboard(client)

    assert "Year 1 Missed — held" in page
    assert YEAR_1 in page
    assert HELD_FOR_DECISIONS in page
    assert "On track" not in page


def test_dashboard_deadline_day_is_still_the_reporting_window(client, expert, on_day):
    on_day(date(2025, 9, 30))

    page = dashboard(client)

    assert "Year 1: reporting window" in page
    assert "At risk — 19.00 credits still needed. Deadline 30 September 2025 (0 days left)." \
        in page
    assert "Missed" not in page
    assert "On track" in page  # year 2, a month in


def test_years_page_year_past_its_deadline_short_is_missed_and_being_closed(
        client, expert, on_day):
    on_day(date(2025, 11, 15))

    page = years_page(client, expert)

    assert ("Year 1 1 September 2024 \u2013 31 August 2025 30 September 2025 21.00 of 40 "
            "credits Missed — being closed") in page
    assert ("Year 2 1 September 2025 \u2013 31 August 2026 30 September 2026 0.00 of 40 "
            "credits In progress") in page
    assert YEAR_1 in page
    assert WILL_BE_DECERTIFIED in page
    assert "On track" not in page


def test_year_page_year_past_its_deadline_short_says_why(client, holder, expert, on_day):
    awaiting_decision(holder)
    on_day(date(2025, 11, 15))

    page = read(client, reverse("submissions:year_detail", args=[expert.pk, 1]))

    assert "21.00 of 40 credits counted — Missed — held" in page
    assert HELD_FOR_DECISIONS in page
    assert "On track" not in page


def test_badge_year_past_its_deadline_short_stays_active_until_the_close(
        client, expert, on_day):
    on_day(date(2025, 11, 15))

    page = badge(client, expert)

    assert "Status ✓ Active — valid through 31 August 2026" in page
    assert "Revoked" not in page
    assert "On track" not in page


# --- (b) Held: the close waits for decisions -----------------------------------------------

def test_dashboard_waiting_year_says_held_for_the_entries_awaiting_a_decision(
        client, holder, expert, on_day):
    awaiting_decision(holder)
    close_year_1(expert, YearState.WAITING)
    on_day(date(2025, 11, 15))

    page = dashboard(client)

    assert "Missed — held" in page
    assert YEAR_1 in page
    assert HELD_FOR_DECISIONS in page
    assert "On track" not in page


def test_dashboard_waiting_year_with_nothing_undecided_says_an_appeal_is_open(
        client, expert, on_day):
    close_year_1(expert, YearState.WAITING)
    on_day(date(2025, 11, 15))

    page = dashboard(client)

    assert "Missed — held" in page
    assert YEAR_1 in page
    assert HELD_FOR_APPEAL in page
    assert "On track" not in page


def test_years_page_waiting_year_is_missed_and_held(client, holder, expert, on_day):
    awaiting_decision(holder)
    close_year_1(expert, YearState.WAITING)
    on_day(date(2025, 11, 15))

    page = years_page(client, expert)

    assert "21.00 of 40 credits Missed — held" in page
    assert HELD_FOR_DECISIONS in page
    assert "On track" not in page


def test_badge_waiting_year_stays_active(client, expert, on_day):
    close_year_1(expert, YearState.WAITING)
    on_day(date(2025, 11, 15))

    page = badge(client, expert)

    assert "Status ✓ Active" in page
    assert "Revoked" not in page


# --- (c) Decertified, with the denial the holder may appeal --------------------------------

@pytest.mark.parametrize(("today", "appeal"), [
    (date(2025, 10, 1), APPEAL_UNTIL),
    (date(2025, 12, 30), APPEAL_UNTIL),  # day 90 of the window: still open
    (date(2025, 12, 31), APPEAL_CLOSED),  # day 91
])
def test_dashboard_decertified_says_why_and_until_when_to_appeal(
        client, expert, on_day, today, appeal):
    decertify(expert)
    on_day(today)

    page = dashboard(client)

    assert f"Information Security Expert Expert · awarded 1 September 2024 Decertified " \
        f"{DECERTIFIED_BECAUSE} {appeal}" in page
    assert ({APPEAL_UNTIL, APPEAL_CLOSED} - {appeal}).pop() not in page
    assert "Current year" not in page
    assert "On track" not in page


@pytest.mark.parametrize(("today", "appeal"), [
    (date(2025, 12, 30), APPEAL_UNTIL), (date(2025, 12, 31), APPEAL_CLOSED)])
def test_years_page_decertified_year_is_missed_with_the_appeal(
        client, expert, on_day, today, appeal):
    decertify(expert)
    on_day(today)

    page = years_page(client, expert)

    assert f"Decertified {DECERTIFIED_BECAUSE} {appeal}" in page
    # Year 2 was still open for reporting on the day: it no longer counts.
    assert ("Year 2 1 September 2025 \u2013 31 August 2026 30 September 2026 0.00 of 40 "
            "credits Not counted — decertified") in page
    assert ("Year 1 1 September 2024 \u2013 31 August 2025 30 September 2025 21.00 of 40 "
            "credits Missed — decertified") in page
    assert "On track" not in page


def test_year_page_decertified_year_says_missed_decertified(client, expert, on_day):
    decertify(expert)
    on_day(date(2025, 12, 31))

    page = read(client, reverse("submissions:year_detail", args=[expert.pk, 1]))

    assert "21.00 of 40 credits counted — Missed — decertified" in page
    assert "On track" not in page


def test_badge_decertified_says_revoked_since_the_date(client, expert, on_day):
    decertify(expert)
    on_day(date(2025, 12, 31))

    page = badge(client, expert)

    assert "Status ✕ Revoked — since 1 October 2025" in page
    assert "Active" not in page
    assert "On track" not in page


def test_badge_certification_active_again_says_active(client, expert, on_day):
    decertify(expert)
    # An upheld appeal undoes the decertification; the denial stays on record.
    expert.status, expert.decertified_on = "active", None
    expert.save()
    on_day(date(2025, 12, 31))

    page = badge(client, expert)

    assert "Status ✓ Active — valid through 31 August 2026" in page
    assert "Revoked" not in page


# --- (d) Closed as met: the next year as usual ---------------------------------------------

@pytest.fixture
def met_in_year_1(holder, expert) -> Certification:
    EntryFactory(holder=holder, activity_date=date(2025, 6, 1), hours=D("19"),
                 claimed_credits=D("19"))
    close_year_1(expert, YearState.MET)
    return expert


def test_dashboard_year_closed_as_met_shows_the_current_year_as_usual(
        client, met_in_year_1, on_day):
    on_day(date(2025, 11, 15))

    page = dashboard(client)

    assert "Current year (2)" in page
    # Year 2 has begun two months ago: on track, the one status it shows.
    assert page.count("On track") == 1
    assert "On track — 40.00 credits to go. Deadline 30 September 2026" in page
    assert "Missed" not in page
    assert "Year 1" not in page


def test_years_page_year_closed_as_met_says_met(client, met_in_year_1, on_day):
    on_day(date(2025, 11, 15))

    page = years_page(client, met_in_year_1)

    assert ("Year 1 1 September 2024 \u2013 31 August 2025 30 September 2025 40.00 of 40 "
            "credits Met") in page
    assert "Missed" not in page
    assert "On track" not in page


def test_badge_year_closed_as_met_says_active(client, met_in_year_1, on_day):
    on_day(date(2025, 11, 15))

    page = badge(client, met_in_year_1)

    assert "Status ✓ Active — valid through 31 August 2026" in page
    assert "On track" not in page


# --- Query counts ---------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["active", "decertified"])
def test_years_page_queries_do_not_grow_with_years(client, status, on_day):
    on_day(date(2025, 11, 15))
    counts = []
    for awarded in (date(2024, 9, 1), date(2016, 9, 1)):
        certification = CertificationFactory(title=title("ISE"), awarded_on=awarded)
        ensure_certification_years(today=date(2025, 11, 15), certifications=[certification])
        if status == "decertified":
            decertify(certification)
        client.force_login(certification.holder)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("submissions:year_list",
                                      args=[certification.pk])).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]

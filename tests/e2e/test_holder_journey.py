"""A holder's whole journey in the browser: claim the imported account, log a webinar with the
live preview, upload and download proof, read the year and its PDF transcript, sign out."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

from certifications.importing import import_certified_holders
from submissions.models import Entry
from tests.factories import pdf_bytes

from .conftest import link_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

EMAIL = "ida.import@example.com"
NEW_PASSWORD = "a-Very-good-passw0rd"
WEBINAR = "Attend a webinar (SECO webinars included)"
ISP = "Information Security Practitioner"
ISE = "Information Security Expert"


def card(page: Page, title_name: str) -> Locator:
    return page.locator("section.certification-card").filter(
        has=page.get_by_role("heading", name=title_name, exact=True))


def counted(page: Page, title_name: str) -> Decimal:
    """The counted credits of the card's current year (the awards are under a year old)."""
    return Decimal(card(page, title_name).locator(".counted").inner_text())


def icons_not_found(page: Page) -> list[str]:
    """Headless Chromium fetches no tab icon, and Playwright reports no /favicon.ico request:
    ask for the page's icon as a browser tab would, and for /favicon.ico, which browsers and
    bookmarks ask for whatever the page says; the URLs that answer 404."""
    return page.evaluate("""async () => {
      const urls = [document.querySelector("link[rel=icon]")?.href, "/favicon.ico"];
      const answers = await Promise.all(urls.filter(Boolean).map(url => fetch(url)));
      return answers.filter(answer => answer.status === 404).map(answer => answer.url);
    }""")


def fill_webinar(page: Page, *, day: date, title: str, length: int, attended: int) -> None:
    select = page.locator("select[name=activity_type]")
    # An option reads "<activity> — <what it earns>"; choose it by what the holder sees.
    select.select_option(label=select.locator("option", has_text=WEBINAR).inner_text())
    page.get_by_label("Date of the activity").fill(day.isoformat())
    page.get_by_label("Length of the session (minutes)").fill(str(length))
    page.get_by_label("Minutes you attended").fill(str(attended))
    page.get_by_label("Title", exact=False).first.fill(title)
    page.get_by_label("This activity is relevant to my field").check()


def test_holder_journey_claims_account_logs_webinar_and_gets_transcript(
    page: Page, live_server, mailoutbox, today, shoot, tmp_path: Path
) -> None:
    # Arrange: the certification body registered the holder; she has no password yet.
    import_certified_holders(rows=[
        {"email": EMAIL, "full_name": "Ida Import", "title_code": "ISP",
         "awarded_on": (today - timedelta(days=200)).isoformat()},
        {"email": EMAIL, "full_name": "Ida Import", "title_code": "ISE",
         "awarded_on": (today - timedelta(days=100)).isoformat()},
    ], today=today)
    base = live_server.url
    # Every request of every page on the way (stylesheets, scripts, icons) must be found.
    not_found: list[str] = []
    page.on("response", lambda response: response.status == 404
            and not_found.append(response.url))

    # Act: sign up with the address on record; the mail is an invitation to set a password.
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("Full name").fill("Ida Import")
    page.get_by_label("Email").fill(EMAIL)
    page.locator("input[name=password1]").fill(NEW_PASSWORD)
    page.locator("input[name=password2]").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    # The same page as for any sign-up: nobody learns who the certification body registered.
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify Your Email Address")

    assert [m.subject for m in mailoutbox] == ["Set your password for the CPE Portal"]
    assert mailoutbox[0].to == [EMAIL]
    page.goto(link_in(mailoutbox[0].body, "/accounts/password/reset/key/"))
    page.locator("input[name=password1]").fill(NEW_PASSWORD)
    page.locator("input[name=password2]").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change Password").click()

    # Assert: signed in on the dashboard, which shows both imported certifications.
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ida Import")
    assert page.url == f"{base}/"
    expect(card(page, ISP)).to_have_count(1)
    expect(card(page, ISE)).to_have_count(1)
    before = {name: counted(page, name) for name in (ISP, ISE)}
    assert before == {ISP: Decimal("0.00"), ISE: Decimal("0.00")}

    # Act: log a webinar; the live preview shows what it earns before anything is saved.
    page.get_by_role("link", name="Log an activity").click()
    fill_webinar(page, day=today - timedelta(days=3), title="Zero trust in practice",
                 length=90, attended=90)
    expect(page.locator("#preview .preview-credits")).to_have_text("1.50")
    assert Entry.objects.count() == 0
    shoot(page, "log-form-preview.png")
    not_found += icons_not_found(page)
    # With the live preview there is no confirm step: the button saves.
    page.get_by_role("button", name="Save", exact=True).click()

    # Assert: the entry page, then both cards moved by 1.50.
    expect(page.get_by_role("heading", level=1)).to_have_text("Zero trust in practice")
    entry = Entry.objects.get()
    assert entry.claimed_credits == Decimal("1.50")
    entry_url = page.url
    page.get_by_role("link", name="Dashboard").click()
    after = {name: counted(page, name) for name in (ISP, ISE)}
    assert after == {name: before[name] + Decimal("1.50") for name in (ISP, ISE)}
    shoot(page, "dashboard.png")
    not_found += icons_not_found(page)

    # Act: a webinar attended for 75 % is refused, and nothing is saved.
    page.get_by_role("link", name="Log an activity").click()
    fill_webinar(page, day=today - timedelta(days=2), title="Too short a visit",
                 length=60, attended=45)
    page.get_by_role("button", name="Save", exact=True).click()
    refusal = "You attended 75 % of the session; at least 80 % is needed to earn credits."
    expect(page.locator("#entry-form").get_by_text(refusal)).to_be_visible()
    assert Entry.objects.count() == 1

    # Act: upload proof on the first entry and download it again.
    proof = tmp_path / "certificate.pdf"
    proof.write_bytes(pdf_bytes())
    page.goto(entry_url)
    page.get_by_label("Proof files").set_input_files(str(proof))
    page.get_by_role("button", name="Upload proof").click()
    expect(page.get_by_role("status").filter(has_text="Proof uploaded.")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="certificate.pdf").click()
    downloaded = Path(download_info.value.path())
    assert downloaded.read_bytes() == proof.read_bytes()
    shoot(page, "entry.png")
    not_found += icons_not_found(page)

    # Act: the current year of the Practitioner certification, and its PDF transcript.
    page.get_by_role("link", name="Dashboard").click()
    card(page, ISP).get_by_role("link", name="Year 1 in detail and transcript").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{ISP}, year 1")
    expect(page.get_by_role("link", name="Zero trust in practice")).to_be_visible()
    shoot(page, "transcript.png")
    not_found += icons_not_found(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Transcript (PDF)").click()
    reader = PdfReader(download_info.value.path())
    lines = [line.strip() for p in reader.pages for line in p.extract_text().splitlines()]
    row = lines.index("Zero trust in practice")
    # The entry's row: title, (no provider), state, claimed, counted; then the summary's total.
    assert lines[row:row + 4] == ["Zero trust in practice", "submitted", "1.50", "1.50"]
    assert lines[lines.index("Counted") + 1] == "1.50"

    # Act: sign out.
    page.get_by_role("button", name="Sign out").click()

    # Assert: back on the public landing page.
    expect(page.get_by_role("heading", level=1)).to_have_text("Keep your certifications current")
    assert page.get_by_role("button", name="Sign out").count() == 0
    not_found += icons_not_found(page)
    assert not_found == []

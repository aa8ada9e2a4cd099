"""Browser tests: real Chromium (Debian's, not Playwright's download) driven by Playwright against
pytest-django's live server, one browser for the whole run.

Every test here needs `transaction=True` (the live server reads what the test commits) with
`serialized_rollback=True`: the activity catalogue and the titles are data-migration rows, and the
flush after a transactional test would otherwise leave later tests without them.

Playwright's sync API keeps an asyncio loop marked as running in the main thread from its start to
its stop. While it is, Django (1) refuses ORM calls unless DJANGO_ALLOW_ASYNC_UNSAFE is set and
(2) hands out *other* connection objects (asgiref's thread-critical Local switches to per-context
storage), which lack the serialized test-database contents that serialized_rollback restores.
So Playwright lives only as long as this package (the `playwright` fixture is package-scoped,
not session-scoped as pytest-playwright has it), the environment variable is set for that span
only (a process-wide one leaks into subprocesses such as `manage.py check --deploy`, which rejects
it), and the serialized contents are handed to the connection the tests see inside the loop.
"""

import os
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.utils import timezone
from playwright.sync_api import (
    Browser,
    BrowserContext,
    BrowserType,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from accounts.models import User
from accounts.services import mark_email_verified
from submissions.models import Entry
from submissions.services import EntryDetails, attach_proof, log_entry
from tests.e2e.checks import PageChecks
from tests.factories import (
    PASSWORD,
    CertificationFactory,
    UserFactory,
    activity,
    pdf_bytes,
    title,
)
from tests.services import missing
from tests.staff import totp_code

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "artifacts" / "screenshots"
E2E_DIR = Path(__file__).resolve().parent
# Long enough for a cold page on a busy machine, short enough that a wrong locator fails fast.
TIMEOUT_MS = 15_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Each module also says so in its pytestmark; this keeps a new module from forgetting.
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not Path(CHROMIUM_PATH).is_file():
        reason = (f"Chromium not found at {CHROMIUM_PATH}: install Debian's `chromium` or set "
                  "CHROMIUM_PATH (never `playwright install`).")
        missing(reason)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM_PATH,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="package")
def _django_beside_playwright(django_db_setup: None, django_db_blocker) -> Iterator[str | None]:
    """Set up the test database before Playwright's loop starts, allow the ORM while it runs,
    and yield the serialized database contents for the connections used inside the loop."""
    with django_db_blocker.unblock():
        contents = getattr(connections["default"], "_test_serialized_contents", None)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield contents
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def playwright(_django_beside_playwright: str | None, _pw_api_request_contexts,
               django_db_blocker) -> Iterator[Playwright]:
    pw = sync_playwright().start()
    if _pw_api_request_contexts:
        _pw_api_request_contexts.instrument(pw)
    if _django_beside_playwright is not None:
        # From here on the tests get this connection object, not the one set up above.
        connections["default"]._test_serialized_contents = _django_beside_playwright
    yield pw
    # Close the connections of the loop's context: an open one would keep the test database
    # from being dropped at the end of the run.
    with django_db_blocker.unblock():
        connections.close_all()
    pw.stop()


@pytest.fixture(scope="package")
def browser_type(playwright: Playwright, browser_name: str) -> BrowserType:
    return getattr(playwright, browser_name)


@pytest.fixture(scope="package")
def launch_browser(browser_type_launch_args: dict,
                   browser_type: BrowserType) -> Callable[..., Browser]:
    def launch(**kwargs: object) -> Browser:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="package")
def browser(launch_browser: Callable[..., Browser]) -> Iterator[Browser]:
    browser = launch_browser()
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def browser_context_args() -> dict:
    # Every test passes live_server.url itself; not asking for pytest-base-url's `base_url`
    # keeps its deprecation warning out of the run.
    return {"accept_downloads": True}


@pytest.fixture
def context(new_context: Callable[..., BrowserContext]) -> BrowserContext:
    context = new_context()
    context.set_default_timeout(TIMEOUT_MS)
    expect.set_options(timeout=TIMEOUT_MS)
    return context


@pytest.fixture
def checks() -> PageChecks:
    """axe-core and the sideways-scroll check on every page a journey passes (see checks.py)."""
    return PageChecks()


@pytest.fixture
def sized_page(context: BrowserContext, viewport: dict) -> Page:
    """A page of the test's context at the viewport the test is parametrized with (SIZES)."""
    page = context.new_page()
    page.set_viewport_size(viewport)
    return page


@pytest.fixture
def today() -> date:
    """The live server uses the real clock, so every date in these tests is relative to it."""
    return timezone.localdate()


@pytest.fixture
def shoot() -> Callable[[Page, str], Path]:
    """Save a full-page screenshot under artifacts/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shoot(page: Page, name: str) -> Path:
        path = SCREENSHOTS / name
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shoot


@pytest.fixture
def make_holder(today: date) -> Callable[..., User]:
    """A holder who can sign in with PASSWORD (verified email), with certifications of the
    given title codes awarded `days_ago` days before today."""

    def _make(*codes: str, days_ago: int = 200, **fields: object) -> User:
        holder = UserFactory(**fields)
        mark_email_verified(user=holder, email=holder.email)
        for code in codes:
            CertificationFactory(holder=holder, title=title(code),
                                 awarded_on=today - timedelta(days=days_ago))
        return holder

    return _make


@pytest.fixture
def log_webinar(today: date) -> Callable[..., Entry]:
    """Log a 90-minute webinar (1.50 credits) three days ago for `holder`, with a PDF proof."""

    def _log(holder: User, title: str = "Threat modelling webinar") -> Entry:
        entry = log_entry(holder=holder, today=today, details=EntryDetails.from_data({
            "activity_type": activity("attend-webinar"), "activity_date": today - timedelta(days=3),
            "title": title, "length_minutes": 90, "attended_minutes": 90,
            "relevance_confirmed": True}))
        attach_proof(entry=entry, by=holder, upload=SimpleUploadedFile(
            "attendance.pdf", pdf_bytes(), content_type="application/pdf"))
        return entry

    return _log


@pytest.fixture
def sign_in(live_server) -> Callable[[Page, str], None]:
    """Sign in through the sign-in form and wait for the dashboard."""

    def _sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(email)
        page.locator("input[name=password]").fill(password)
        page.get_by_role("button", name="Sign In").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")

    return _sign_in


@pytest.fixture
def sign_in_staff(live_server) -> Callable[..., None]:
    """Sign a staff member with a TOTP authenticator (tests.staff.make_staff) in through the
    portal's one sign-in: password, then the code, landing on `next_path`."""

    def _sign_in(page: Page, user: User, next_path: str = "/admin/") -> None:
        page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
        page.get_by_label("Email").fill(user.email)
        page.locator("input[name=password]").fill(PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        page.locator("input[name=code]").fill(totp_code())
        page.locator("input[name=code]").press("Enter")
        expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))

    return _sign_in


def link_in(body: str, path_prefix: str) -> str:
    """The absolute link in a mail body whose path starts with `path_prefix`."""
    found = re.search(rf"https?://[^\s/]+{re.escape(path_prefix)}\S*", body)
    assert found is not None, f"no {path_prefix} link in:\n{body}"
    return found.group(0)

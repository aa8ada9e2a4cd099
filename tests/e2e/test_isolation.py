"""Another holder's entry, proof, year and transcripts are a 404 in the browser, never a 403
that would say they exist."""

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page

from certifications.models import Certification

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def holder_urls(certification: Certification, entry_pk: int, proof_pk: int) -> dict[str, str]:
    year = f"/certifications/{certification.pk}/years/1"
    return {
        "entry": f"/entries/{entry_pk}/",
        "proof": f"/proof/{proof_pk}/",
        "year": f"{year}/",
        "transcript_pdf": f"{year}/transcript.pdf",
        "transcript_csv": f"{year}/transcript.csv",
    }


def statuses(page: Page, base: str, urls: dict[str, str]) -> dict[str, int]:
    """The status of each URL: pages through navigation, files through the context's request
    API (a 200 there would start a download rather than a page)."""
    result = {}
    for name, path in urls.items():
        if name in {"entry", "year"}:
            response = page.goto(f"{base}{path}")
            assert response is not None
            result[name] = response.status
        else:
            result[name] = page.request.get(f"{base}{path}").status
    return result


def test_holder_pages_of_another_holder_are_not_found(
    page: Page, new_context: Callable[..., BrowserContext], live_server,
    make_holder, log_webinar, sign_in,
) -> None:
    # Arrange: the owner has a certification, an entry and its proof; a second holder signs in.
    owner = make_holder("ISP")
    entry = log_webinar(owner)
    urls = holder_urls(owner.certifications.get(), entry.pk, entry.proof_files.get().pk)
    other = make_holder("ISP")
    owner_page = new_context().new_page()
    sign_in(owner_page, owner.email)
    sign_in(page, other.email)

    # Act
    seen_by_owner = statuses(owner_page, live_server.url, urls)
    seen_by_other = statuses(page, live_server.url, urls)

    # Assert: the URLs are real (the owner gets them), and the other holder gets 404 for each.
    assert seen_by_owner == dict.fromkeys(urls, 200)
    assert seen_by_other == dict.fromkeys(urls, 404)

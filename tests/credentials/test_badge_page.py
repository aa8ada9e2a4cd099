"""The badge page with its credential: everyone reads whether the credential verifies (the
portal's own verification: the signature against the published keys, the bit in the status
list) and finds links to it; only the holder sees the downloads, LinkedIn's add-to-profile link
(while the certification is active) and the QR code. Another holder and staff see the public
page; the queries do not depend on who asks once the credential has its index."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from certifications.services import decertify_certifications
from tests.credentials.verifying import SITE
from tests.factories import CertificationFactory, title
from tests.staff import make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("badge_site")]

VERIFIES = "✓ Verifies: signed by SECO-Institute, not revoked."
PUBLIC_LINKS = ("This badge is also an Open Badges 3.0 credential, signed by its issuer, that "
                "anyone can check: the credential (JSON) · signed (JWT)")


def page(client, certification) -> tuple[str, str]:
    """The page's main content as HTML, and as the text a reader reads (spaces collapsed)."""
    response = client.get(reverse("certifications:badge", args=[certification.badge_id]))
    assert response.status_code == 200
    html = response.content.decode()
    main = html[html.index("<main"):html.index("</main>")]
    return main, " ".join(strip_tags(main).split())


def test_anyone_reads_that_the_credential_verifies_and_finds_it(client, expert):
    html, text = page(client, expert)

    assert VERIFIES in text
    assert PUBLIC_LINKS in text
    assert f'href="/credentials/{expert.badge_id}.json"' in html
    assert f'href="/credentials/{expert.badge_id}.jwt"' in html


@pytest.mark.parametrize("who", ["anonymous", "another holder", "staff"])
def test_only_the_holder_sees_downloads_linkedin_and_the_qr_code(client, expert, who):
    if who == "another holder":
        client.force_login(CertificationFactory(title=title("ISE")).holder)
    elif who == "staff":
        client.force_login(make_staff("Reviewer"))

    html, text = page(client, expert)

    assert VERIFIES in text
    for private in ("Your badge", "Only you see this part", "linkedin.com", "qr-code",
                    f"/credentials/{expert.badge_id}.svg", " download>"):
        assert private not in html


def test_the_holder_downloads_the_image_and_the_credential(client, expert):
    client.force_login(expert.holder)

    html, text = page(client, expert)

    assert ("Your badge Only you see this part. Everyone with the link sees the rest of this "
            "page. Download Badge image (SVG): the image with the signed credential baked in"
            ) in text
    badge = expert.badge_id
    for address in (f"/credentials/{badge}.svg", f"/credentials/{badge}.png",
                    f"/credentials/{badge}.jwt", f"/credentials/{badge}.json"):
        assert f'<a href="{address}" download>' in html
    assert 'id="badge-download"' in html


def test_the_holder_adds_the_active_badge_to_linkedin(client, expert):
    client.force_login(expert.holder)

    html, _text = page(client, expert)

    start = html.index('href="https://www.linkedin.com/profile/add?') + len('href="')
    address = html[start:html.index('"', start)].replace("&amp;", "&")
    assert parse_qs(urlsplit(address).query) == {
        "startTask": ["CERTIFICATION_NAME"], "name": ["Information Security Expert"],
        "organizationName": ["SECO-Institute"], "issueYear": ["2024"], "issueMonth": ["9"],
        "certUrl": [f"{SITE}/verify/{expert.badge_id}/"], "certId": [str(expert.badge_id)]}
    link = html[html.rindex("<a ", 0, start):html.index(">", start)]
    assert 'target="_blank" rel="noopener"' in link
    assert 'id="badge-linkedin"' in html


def test_the_holder_sees_a_named_qr_code_of_the_verification_page(client, expert):
    client.force_login(expert.holder)

    html, text = page(client, expert)

    assert html.count('<svg role="img"') == 1
    assert ('<svg role="img" viewBox=' in html
            and "<title>QR code of the verification link of Information Security Expert"
                "</title>" in html)
    assert f"Scan it to open this page: {SITE}/verify/{expert.badge_id}/" in text
    assert 'id="badge-qr"' in html


def test_a_revoked_badge_says_since_when_and_offers_no_linkedin(client, expert):
    decertify_certifications([expert.pk], on=date(2025, 10, 1), reason="Year 1 ended short",
                             now=timezone.now())
    client.force_login(expert.holder)

    html, text = page(client, expert)

    assert ("✕ Revoked on 1 October 2025: signed by SECO-Institute, and revoked in its status "
            "list.") in text
    assert "A revoked badge cannot be added to LinkedIn." in text
    assert "linkedin.com" not in html
    assert "Verifies" not in text


def test_the_page_reads_the_same_queries_for_the_public_and_the_holder(
        client, expert, django_assert_num_queries):
    page(client, expert)  # gives the credential its index

    # The certification with its holder, title and level; its index; the status list (two).
    with django_assert_num_queries(4):
        page(client, expert)
    client.force_login(expert.holder)
    # And the session and its user.
    with django_assert_num_queries(6):
        page(client, expert)


def card_links(client) -> str:
    html = client.get(reverse("home")).content.decode()
    start = html.index('<span class="badge-links">')
    return html[start:html.index("</span>", start) + len("</span>")]


def test_each_dashboard_card_links_to_the_badge_pages_parts(client, expert):
    client.force_login(expert.holder)
    badge = f"/verify/{expert.badge_id}/"

    assert card_links(client) == (
        f'<span class="badge-links">Badge: <a href="{badge}">public page</a> · '
        f'<a href="{badge}#badge-download">download</a> · '
        f'<a href="{badge}#badge-linkedin">LinkedIn</a> · '
        f'<a href="{badge}#badge-qr">QR code</a></span>')


def test_a_decertified_cards_badge_links_offer_no_linkedin(client, expert):
    decertify_certifications([expert.pk], on=date(2025, 10, 1), reason="Year 1 ended short",
                             now=timezone.now())
    client.force_login(expert.holder)

    assert "LinkedIn" not in card_links(client)
    assert "#badge-download" in card_links(client)

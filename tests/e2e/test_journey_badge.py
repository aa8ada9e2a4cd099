"""A holder's badge in Chromium, at 1,280 and 390 px: from the dashboard card to the badge
page, download the baked SVG and PNG badges and the signed credential (the SVG's credential
verifies with jwcrypto against the DID document the portal serves, and is the PNG's and the
JWT downloaded), see the
QR code and the LinkedIn link; then a visitor signed out opens the verification link and reads
that the badge verifies, and the credential it links to. Every page passes axe-core and does
not scroll sideways."""

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
from django.conf import settings
from jwcrypto.jwk import JWK
from jwcrypto.jws import JWS
from PIL import Image
from playwright.sync_api import APIRequestContext, Page, expect

from tests.e2e.checks import SIZES

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

OB = "{https://purl.imsglobal.org/ob/v3p0}"
TITLE = "Information Security Expert"


def verified(request: APIRequestContext, base: str, token: str) -> dict:
    """The token's claims, its signature checked with the key its `kid` names in the DID
    document the portal serves (jwcrypto raises if it does not verify)."""
    document = request.get(f"{base}/.well-known/did.json").json()
    jws = JWS()
    jws.deserialize(token)
    (method,) = [m for m in document["verificationMethod"]
                 if m["id"] == jws.jose_header["kid"]]
    jws.verify(JWK(**method["publicKeyJwk"]), alg="EdDSA")
    return json.loads(jws.payload)


@SIZES
def test_holder_downloads_and_shares_the_badge_and_a_visitor_verifies_it(
        sized_page: Page, new_context, checks, make_holder, sign_in, live_server, shoot,
        viewport):
    page, base = sized_page, live_server.url
    holder = make_holder("ISE", full_name="Bea Badge")
    badge_id = holder.certifications.get().badge_id

    sign_in(page, holder.email)
    checks(page)
    card = page.get_by_role("region", name=TITLE)
    card.get_by_role("link", name="download").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Badge verification")
    expect(page.get_by_role("heading", name="Download")).to_be_in_viewport()
    checks(page)
    shoot(page, f"holder-badge-{viewport['width']}.png")

    with page.expect_download() as image:
        page.get_by_role("link", name="Badge image (SVG)").click()
    assert image.value.suggested_filename == f"{TITLE} badge.svg"
    svg = ElementTree.parse(Path(image.value.path())).getroot()  # noqa: S314 (the portal's)
    baked = svg.find(f"{OB}credential").get("verify")
    assert verified(page.request, base, baked)["id"] == f"urn:uuid:{badge_id}"
    with page.expect_download() as png:
        page.get_by_role("link", name="Badge image (PNG)").click()
    assert Image.open(png.value.path()).text["openbadgecredential"] == baked
    with page.expect_download() as credential:
        page.get_by_role("link", name="Signed credential (JWT)").click()
    assert credential.value.suggested_filename == f"{TITLE} badge.jwt"
    assert Path(credential.value.path()).read_text() == baked

    expect(page.get_by_role("img", name=f"QR code of the verification link of {TITLE}")
           ).to_be_visible()
    linkedin = page.get_by_role("link", name="Add to LinkedIn profile (opens in a new tab)")
    expect(linkedin).to_have_attribute("target", "_blank")
    expect(linkedin).to_have_attribute("rel", "noopener")
    assert linkedin.get_attribute("href").startswith(
        "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=Information+")

    visitor = new_context().new_page()
    visitor.set_viewport_size(viewport)
    visitor.goto(f"{base}/verify/{badge_id}/")
    expect(visitor.get_by_text(f"signed by {settings.CPE_ISSUER_NAME}, not revoked.")
           ).to_be_visible()
    expect(visitor.locator(".credential-check")).to_contain_text("✓ Verifies")
    expect(visitor.get_by_role("heading", name="Your badge")).to_have_count(0)
    expect(visitor.get_by_role("img", name=f"QR code of the verification link of {TITLE}")
           ).to_have_count(0)
    checks(visitor)
    shoot(visitor, f"public-badge-{viewport['width']}.png")
    visitor.get_by_role("link", name="the credential (JSON)").click()
    expect(visitor).to_have_url(f"{base}/credentials/{badge_id}.json")
    assert f'"id": "urn:uuid:{badge_id}"' in visitor.locator("body").inner_text()
    checks.assert_clean()

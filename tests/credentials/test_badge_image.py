"""The badge image a holder downloads: our SVG with the signed credential baked in as Open
Badges 3.0 says (read back with xml.etree, the token verified with jwcrypto against the DID
document as served), its text escaped, saved under the title's name; and the portal's one
verification function, which the badge page uses: valid, revoked, forged, another issuer's."""

import base64
import io
import struct
from datetime import date
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from certifications.services import decertify_certifications
from credentials.selectors import CredentialCheck, check_credential
from credentials.services import issue_badge_credential
from credentials.signing import sign
from tests.credentials.verifying import b64, credential_jwt, new_keys, verified
from tests.factories import CertificationFactory, UserFactory, title

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("badge_site")]

SVG = "{http://www.w3.org/2000/svg}"
OB = "{https://purl.imsglobal.org/ob/v3p0}"


@pytest.fixture
def expert():
    return CertificationFactory(holder=UserFactory(full_name="Bea <b>Badge</b> & Co"),
                                title=title("ISE"), awarded_on=date(2024, 9, 1))


def image(client, certification):
    response = client.get(reverse("credentials:badge_image", args=[certification.badge_id]))
    assert (response.status_code, response["Content-Type"]) == (200, "image/svg+xml")
    return response


def test_the_image_has_the_credential_baked_in_and_it_verifies(client, expert):
    root = ElementTree.fromstring(image(client, expert).content)  # noqa: S314 (our own)

    credential = root[0]
    assert root.tag == f"{SVG}svg"
    # Directly after the <svg> tag, the one credential element, its JWS in `verify`.
    assert credential.tag == f"{OB}credential"
    assert len(root.findall(f".//{OB}credential")) == 1
    claims = verified(client, credential.get("verify"))
    assert claims["id"] == f"urn:uuid:{expert.badge_id}"
    assert credential.get("verify") == credential_jwt(client, expert)


def test_the_image_says_title_level_and_holder_with_the_name_escaped(client, expert):
    body = image(client, expert).content

    texts = [element.text for element in ElementTree.fromstring(body).iter(f"{SVG}text")]  # noqa: S314
    assert texts == ["EXPERT", "Information Security", "Expert", "Bea <b>Badge</b> & Co",
                     "Awarded 1 September 2024", "SECO-Institute"]
    assert b"<b>" not in body
    assert b"Bea &lt;b&gt;Badge&lt;/b&gt; &amp; Co" in body


def test_the_image_is_a_download_named_after_the_title_that_runs_nothing(client, expert):
    response = image(client, expert)

    assert response["Content-Disposition"] == (
        'attachment; filename="Information Security Expert badge.svg"')
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_credential_opens_in_the_browser_and_saves_under_the_titles_name(client, expert):
    for name, extension in (("badge_credential", "jwt"), ("badge_credential_json", "json")):
        response = client.get(reverse(f"credentials:{name}", args=[expert.badge_id]))

        assert response["Content-Disposition"] == (
            f'inline; filename="Information Security Expert badge.{extension}"')


def itxt_chunks(png: bytes) -> list[tuple[bytes, int, bytes]]:
    """Each iTXt chunk of a PNG, read from its bytes as the PNG spec lays them out: keyword,
    compression flag, text."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = [], 8
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position:position + 8])
        data = png[position + 8:position + 8 + length]
        if kind == b"iTXt":
            keyword, rest = data.split(b"\0", 1)
            flag, _method, rest = rest[0], rest[1], rest[2:]
            _language, _translated, text = rest.split(b"\0", 2)
            chunks.append((keyword, flag, text))
        position += 12 + length
    return chunks


def test_the_png_has_the_credential_in_one_uncompressed_itxt_chunk_and_it_verifies(
        client, expert):
    response = client.get(reverse("credentials:badge_image_png", args=[expert.badge_id]))

    assert (response.status_code, response["Content-Type"]) == (200, "image/png")
    assert response["Content-Disposition"] == (
        'attachment; filename="Information Security Expert badge.png"')
    ((keyword, compressed, text),) = itxt_chunks(response.content)
    assert (keyword, compressed) == (b"openbadgecredential", 0)
    assert verified(client, text.decode())["id"] == f"urn:uuid:{expert.badge_id}"
    assert Image.open(io.BytesIO(response.content)).size == (800, 880)


@pytest.mark.parametrize("address", [
    "/credentials/00000000-0000-4000-8000-000000000000.svg",
    "/credentials/00000000-0000-4000-8000-000000000000.png",
    "/credentials/not-a-badge-id.svg",
    "/credentials/.svg",
])
def test_unknown_or_malformed_badge_ids_of_images_are_404s(client, address):
    assert client.get(address).status_code == 404


def test_an_active_certifications_credential_verifies_unrevoked(expert):
    token = issue_badge_credential(certification=expert).jwt

    assert check_credential(token) == CredentialCheck(verifies=True,
                                                      issuer_name="SECO-Institute")


def test_a_decertified_certifications_credential_verifies_revoked(expert):
    token = issue_badge_credential(certification=expert).jwt

    decertify_certifications([expert.pk], on=date(2025, 10, 1), reason="Year 1 ended short",
                             now=timezone.now())

    assert check_credential(token) == CredentialCheck(verifies=True,
                                                      issuer_name="SECO-Institute",
                                                      revoked=True)


def test_a_changed_credential_does_not_verify(expert):
    head, payload, signature = issue_badge_credential(certification=expert).jwt.split(".")
    changed = base64.urlsafe_b64encode(b64(payload).replace(b"Expert", b"Master")).decode()

    check = check_credential(".".join([head, changed.rstrip("="), signature]))

    assert (check.verifies, check.problem) == (
        False, "its signature is not one of the issuer’s keys")


def test_a_credential_signed_by_a_key_no_longer_published_does_not_verify(settings, expert):
    settings.CPE_CREDENTIAL_KEYS = new_keys()
    token = issue_badge_credential(certification=expert).jwt

    settings.CPE_CREDENTIAL_KEYS = new_keys()

    assert check_credential(token).verifies is False


def test_a_credential_naming_another_status_list_does_not_verify(expert):
    claims = issue_badge_credential(certification=expert).credential
    claims["credentialStatus"]["statusListCredential"] = "https://elsewhere.example/status/1"

    check = check_credential(sign(claims))

    assert (check.verifies, check.problem) == (False,
                                               "it names no status list of this issuer")

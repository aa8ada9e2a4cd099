"""A certification as an Open Badges 3.0 credential: a VC-JWT signed with the issuer's Ed25519
key (read back with jwcrypto and the DID document the portal serves), shaped as Open Badges 3.0
asks, the same each time, served for a decertified certification too (its status says
revoked), one query once its index is given; bad badge ids are 404s."""

import base64
import json
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from certifications.services import decertify_certifications
from credentials.models import StatusListSlot
from tests.credentials.verifying import (
    DID,
    SITE,
    b64,
    credential_jwt,
    header,
    new_keys,
    status_bit,
    verified,
)
from tests.factories import CertificationFactory, title

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("badge_site")]


def test_credential_verifies_with_jwcrypto_and_is_an_open_badge(client, expert):
    claims = verified(client, credential_jwt(client, expert))

    index = StatusListSlot.objects.get(certification=expert).index
    holder = claims["credentialSubject"]
    achievement = holder["achievement"]
    assert claims["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                  "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["id"] == claims["jti"] == f"urn:uuid:{expert.badge_id}"
    assert claims["name"] == "Information Security Expert"
    assert claims["issuer"] == {"id": DID, "type": ["Profile"], "name": "SECO-Institute",
                                "url": SITE}
    assert claims["iss"] == DID
    # The award date: the start of that day in Amsterdam.
    assert claims["validFrom"] == claims["awardedDate"] == "2024-09-01T00:00:00+02:00"
    assert claims["nbf"] == int(datetime(2024, 8, 31, 22, 0, tzinfo=UTC).timestamp())
    assert holder["type"] == ["AchievementSubject"]
    assert holder["id"] == claims["sub"]
    assert holder["id"].startswith("urn:uuid:")
    assert expert.holder.email not in json.dumps(claims)
    assert holder["identifier"] == [{"type": "IdentityObject", "identityType": "name",
                                     "hashed": False, "identityHash": "Bea Badge"}]
    assert (achievement["type"], achievement["name"], achievement["achievementType"],
            achievement["humanCode"], achievement["fieldOfStudy"]) == (
        ["Achievement"], "Information Security Expert", "Certification", "ISE",
        "Information security")
    assert achievement["id"].startswith("urn:uuid:")
    assert achievement["description"] == ("Information Security Expert: a certification at "
                                          "the Expert level in information security.")
    assert achievement["criteria"]["narrative"] == (
        "Awarded by SECO-Institute to a holder of the Information Security Expert "
        "certification, at the Expert level. To keep it, the holder earns at least 40 CPE "
        "credits in every certification year (from one anniversary of "
        "the award date to the day before the next) with professional development activities "
        "relevant to information security or a neighbouring field, not the holder's regular "
        "job, and reports them at most 30 days after the year ends. In years that begin on or "
        "after 1 January 2025, at most 2 times the yearly requirement counts. A holder who "
        "falls short is decertified and this credential revoked; an appeal the Board upholds "
        "restores it.")
    assert claims["credentialStatus"] == {
        "id": f"{SITE}/credentials/status/1#{index}",
        "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
        "statusListIndex": str(index), "statusListCredential": f"{SITE}/credentials/status/1"}


def test_the_holders_credentials_name_the_same_recipient_and_others_another(client, expert):
    second = CertificationFactory(holder=expert.holder, title=title("ISP"))
    other = CertificationFactory(title=title("ISE"))

    subjects = [verified(client, credential_jwt(client, c))["sub"]
                for c in (expert, second, other)]

    assert subjects[0] == subjects[1] != subjects[2]


def test_foundation_criteria_say_no_cpe_is_required(client):
    foundation = CertificationFactory(title=title("ISF"))

    claims = verified(client, credential_jwt(client, foundation))

    assert claims["credentialSubject"]["achievement"]["criteria"]["narrative"].endswith(
        "Foundation titles require no Continuing Professional Education (CPE): the "
        "certification stays valid without yearly credits.")


def test_credential_header_is_eddsa_with_the_did_url_of_the_key(client, expert):
    token = credential_jwt(client, expert)

    assert header(token) == {"alg": "EdDSA", "typ": "JWT", "kid": header(token)["kid"]}
    assert header(token)["kid"].startswith(f"{DID}#")


def test_credential_json_is_what_the_jwt_signs(client, expert):
    claims = verified(client, credential_jwt(client, expert))

    response = client.get(reverse("credentials:badge_credential_json", args=[expert.badge_id]))

    assert (response["Content-Type"], response["Access-Control-Allow-Origin"]) == (
        "application/json", "*")
    assert response.json() == {name: value for name, value in claims.items()
                               if name not in {"iss", "jti", "sub", "nbf"}}


def test_credential_is_the_same_each_time_whatever_language_is_asked(client, expert):
    first = credential_jwt(client, expert)

    again = client.get(reverse("credentials:badge_credential", args=[expert.badge_id]),
                       headers={"Accept-Language": "nl"}).content.decode()

    assert again == first
    assert StatusListSlot.objects.filter(certification=expert).count() == 1


def test_a_payload_changed_by_one_byte_fails_verification(client, expert):
    head, payload, signature = credential_jwt(client, expert).split(".")
    changed = b64(payload).replace(b"Bea Badge", b"Bea Badgf")
    forged = ".".join([head, base64.urlsafe_b64encode(changed).decode().rstrip("="),
                       signature])

    with pytest.raises(Exception, match="Verification failed"):
        verified(client, forged)


def test_what_the_old_key_signed_verifies_after_a_rotation(client, settings, expert):
    settings.CPE_CREDENTIAL_KEYS = new_keys()
    old = credential_jwt(client, expert)

    settings.CPE_CREDENTIAL_KEYS = new_keys(after=settings.CPE_CREDENTIAL_KEYS)
    new = credential_jwt(client, expert)

    assert header(new)["kid"] != header(old)["kid"]
    assert verified(client, old) == verified(client, new)


def test_a_decertified_certifications_credential_is_still_served(client, expert):
    claims = verified(client, credential_jwt(client, expert))

    decertify_certifications([expert.pk], on=date(2025, 10, 1), reason="Year 1 ended short",
                             now=timezone.now())

    assert verified(client, credential_jwt(client, expert)) == claims
    assert status_bit(client, int(claims["credentialStatus"]["statusListIndex"])) == 1


def test_a_certification_gets_its_index_when_its_credential_is_first_issued(client, expert):
    assert not StatusListSlot.objects.filter(certification=expert).exists()

    credential_jwt(client, expert)

    assert StatusListSlot.objects.filter(certification=expert).count() == 1


def test_credential_reads_in_one_query_once_its_index_is_given(client, expert,
                                                               django_assert_num_queries):
    credential_jwt(client, expert)

    with django_assert_num_queries(1):
        credential_jwt(client, expert)


@pytest.mark.parametrize("address", [
    "/credentials/00000000-0000-4000-8000-000000000000.jwt",
    "/credentials/00000000-0000-4000-8000-000000000000.json",
    "/credentials/not-a-badge-id.jwt",
    "/credentials/%00.jwt",
    "/credentials/.jwt",
])
def test_unknown_or_malformed_badge_ids_are_404s(client, address):
    assert client.get(address).status_code == 404


def test_a_badge_id_in_another_form_is_a_404(client, expert):
    assert client.get(f"/credentials/{expert.badge_id}.xml").status_code == 404
    assert client.get(f"/credentials/{expert.badge_id}").status_code == 404
    assert client.get(f"/credentials/{str(expert.badge_id).upper()}.jwt").status_code == 404


def test_credential_answers_get_and_head_only(client, expert):
    address = reverse("credentials:badge_credential", args=[expert.badge_id])

    assert client.post(address).status_code == 405
    assert client.head(address).status_code == 200

"""The issuer: `did:web` of the portal's domain, its DID document with the public half of every
key of CPE_CREDENTIAL_KEYS (the first signs), the command that makes and rotates keys, and keys
that cannot sign refused with what is wrong."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from jwcrypto.jwk import JWK

from credentials.signing import development_keys, parse_keys, sign
from tests.credentials.verifying import DID, header, new_keys, verified

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("badge_site")]


def test_did_document_is_did_web_of_the_site_with_public_keys_only(client):
    response = client.get("/.well-known/did.json")

    assert (response.status_code, response["Content-Type"],
            response["Access-Control-Allow-Origin"]) == (200, "application/did+json", "*")
    document = response.json()
    (method,) = document["verificationMethod"]
    assert (document["id"], method["type"], method["controller"]) == (
        DID, "JsonWebKey2020", DID)
    assert set(method["publicKeyJwk"]) == {"kty", "crv", "x"}
    assert method["id"] == f"{DID}#{JWK(**method['publicKeyJwk']).thumbprint()}"
    assert document["assertionMethod"] == [method["id"]]


def test_did_web_percent_encodes_the_port(client, settings):
    settings.CPE_SITE_URL = "http://127.0.0.1:8123"

    assert client.get("/.well-known/did.json").json()["id"] == "did:web:127.0.0.1%3A8123"


def test_a_signature_names_the_key_and_nothing_else_and_verifies(client):
    token = sign({"name": "Zoë"})

    assert header(token) == {"alg": "EdDSA", "kid": header(token)["kid"], "typ": "JWT"}
    assert header(token)["kid"].startswith(f"{DID}#")
    assert verified(client, token) == {"name": "Zoë"}
    assert sign({"name": "Zoë"}) == token


def test_after_a_rotation_the_new_key_signs_and_every_key_is_published(client, settings):
    settings.CPE_CREDENTIAL_KEYS = new_keys()
    old = sign({"n": 1})

    settings.CPE_CREDENTIAL_KEYS = new_keys(after=settings.CPE_CREDENTIAL_KEYS)
    new = sign({"n": 1})

    methods = client.get("/.well-known/did.json").json()["verificationMethod"]
    assert [method["id"] for method in methods] == [header(new)["kid"], header(old)["kid"]]
    assert verified(client, old) == verified(client, new) == {"n": 1}


def test_credential_key_command_makes_keys_the_settings_read(capsys, settings):
    call_command("credential_key")
    made = capsys.readouterr().out.strip()
    settings.CPE_CREDENTIAL_KEYS = made

    call_command("credential_key", "--rotate")
    rotated = json.loads(capsys.readouterr().out)

    first = parse_keys(made).signing
    assert first.has_private
    assert len(rotated["keys"]) == 2
    assert rotated["keys"][1] == {"kty": "OKP", "crv": "Ed25519",
                                  "x": json.loads(made)["keys"][0]["x"]}
    keys = parse_keys(json.dumps(rotated))
    assert keys.published[1].thumbprint() == first.thumbprint()
    assert keys.signing.thumbprint() != first.thumbprint()


@pytest.mark.parametrize(("value", "message"), [
    ("not json", "must be a JWK Set"),
    ('["a list"]', "must be a JWK Set"),
    ('{"keys": []}', "holds no key"),
    ('{"keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}]}', "is not an Ed25519 key"),
    ('{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "not base64!"}]}', "cannot be read"),
    ('{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "8D57xal-yWrHUYs5VGDPT2KzS95TraXaJhzZ0wy'
     'vVOE"}]}', "must hold its private part"),
    ('{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "8D57xal-yWrHUYs5VGDPT2KzS95TraXaJhzZ0wy'
     'vVOE", "d": "AAAA"}]}', "cannot sign"),
    # Another key's private part beside this public part: what it signed would never verify.
    ('{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "8D57xal-yWrHUYs5VGDPT2KzS95TraXaJhzZ0wy'
     'vVOE", "d": "4uYY6br_SFF2DKdFAsznHYYTFwNgZziwaSEPcHE0QzA"}]}', "not the pair"),
])
def test_keys_that_cannot_sign_are_refused_with_what_is_wrong(value, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_keys(value)


def test_no_keys_at_all_is_refused_when_something_is_signed(settings):
    settings.CPE_CREDENTIAL_KEYS = ""

    with pytest.raises(ImproperlyConfigured, match="Set CPE_CREDENTIAL_KEYS"):
        sign({"n": 1})


def test_the_development_key_is_derived_the_same_every_time():
    assert parse_keys("development").signing.thumbprint() == JWK(
        **json.loads(development_keys())["keys"][0]).thumbprint()

"""What a verifier does with what the portal serves, done with jwcrypto and the standard
library rather than the portal's own code: read the DID document, check a token's signature with
the key its `kid` names, read a bit of the status list."""

import base64
import gzip
import json

from django.test import Client
from django.urls import reverse
from jwcrypto.jwk import JWK
from jwcrypto.jws import JWS

from certifications.models import Certification

SITE = "https://cpe.example.org"
DID = "did:web:cpe.example.org"


def b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def new_keys(*, after: str = "") -> str:
    """CPE_CREDENTIAL_KEYS with a new key first and, when given, the public halves of the keys
    of `after` behind it."""
    keys = [JWK.generate(kty="OKP", crv="Ed25519").export_private(as_dict=True)]
    if after:
        keys += [{name: key[name] for name in ("kty", "crv", "x")}
                 for key in json.loads(after)["keys"]]
    return json.dumps({"keys": keys})


def header(token: str) -> dict:
    return json.loads(b64(token.split(".")[0]))


def verified(client: Client, token: str) -> dict:
    """The claims of a token, verified against the key its `kid` names in the DID document the
    portal serves; jwcrypto raises for a signature that does not verify."""
    document = client.get("/.well-known/did.json").json()
    kid = header(token)["kid"]
    (method,) = [m for m in document["verificationMethod"] if m["id"] == kid]
    assert kid in document["assertionMethod"]
    jws = JWS()
    jws.deserialize(token)
    jws.verify(JWK(**method["publicKeyJwk"]), alg="EdDSA")
    return json.loads(jws.payload)


def status_bits(client: Client) -> bytes:
    """The status list as served: verified, its bitstring decoded and gunzipped."""
    claims = verified(client, client.get("/credentials/status/1").content.decode())
    encoded = claims["credentialSubject"]["encodedList"]
    assert encoded[0] == "u"  # multibase base64url
    return gzip.decompress(b64(encoded[1:]))


def status_bit(client: Client, index: int) -> int:
    """The bit at `index`: index 0 is the left-most bit of the first byte."""
    return status_bits(client)[index // 8] >> (7 - index % 8) & 1


def credential_jwt(client: Client, certification: Certification) -> str:
    response = client.get(reverse("credentials:badge_credential",
                                  args=[certification.badge_id]))
    assert (response.status_code, response["Content-Type"]) == (200, "application/jwt")
    return response.content.decode()

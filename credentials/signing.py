"""The issuer of the portal's credentials: its `did:web` identifier, its Ed25519 keys and the
compact JWS (EdDSA) that signs what it issues. jwcrypto does the cryptography; this module only
says which key signs, which keys are published, and what the JOSE header holds.

The keys come from `CPE_CREDENTIAL_KEYS`: a JWK Set (RFC 7517) of Ed25519 keys, newest first.
The first key, which must hold its private part, signs; every key is published in the DID
document with its thumbprint (RFC 7638) as its id, so a credential signed by an older key keeps
verifying after a rotation. An older key may be given as its public half only. The value
`development` stands for a fixed key derived in this module: public, for `make run` and the
tests, and refused by the production settings for any domain but this machine's.
"""

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from jwcrypto.common import JWException
from jwcrypto.jwk import JWK
from jwcrypto.jws import JWS

from common.mail import site_url

from .openbadges import STATUS_LIST_ID, Issuer

ALGORITHM = "EdDSA"
# The development key's seed: anyone can derive it, so it signs nothing anyone should trust.
DEVELOPMENT = "development"
_DEVELOPMENT_SEED = hashlib.sha256(b"CPE Portal development credential key (public)").digest()
# Where the production settings let the development key sign: this machine only.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def issuer_did(site_url: str | None = None) -> str:
    """`did:web` of the portal's domain (`CPE_SITE_URL`): a port is part of it, its colon
    percent-encoded, as the did:web method says."""
    address = urlsplit(site_url or settings.CPE_SITE_URL)
    host = address.hostname or "localhost"
    if address.port:
        host = f"{host}:{address.port}"
    return f"did:web:{quote(host, safe='')}"


def issuer_profile() -> Issuer:
    """The issuer as credentials name it: its DID, the certification body's name, the portal's
    address and the time zone its dates are days in."""
    return Issuer(did=issuer_did(), name=settings.CPE_ISSUER_NAME,
                  site_url=settings.CPE_SITE_URL, time_zone=settings.TIME_ZONE)


def status_list_url() -> str:
    """The address of the status list every credential names."""
    return site_url("credentials:status_list", STATUS_LIST_ID)


@dataclass(frozen=True)
class IssuerKeys:
    signing: JWK
    # Every key a credential may have been signed with, the signing key first.
    published: tuple[JWK, ...]


def development_keys() -> str:
    """`CPE_CREDENTIAL_KEYS` for the development key, as a JWK Set."""
    key = JWK.from_pyca(Ed25519PrivateKey.from_private_bytes(_DEVELOPMENT_SEED))
    return json.dumps({"keys": [key.export_private(as_dict=True)]})


def _is_ed25519(entry: object) -> bool:
    return (isinstance(entry, dict) and entry.get("kty") == "OKP"
            and entry.get("crv") == "Ed25519")


@lru_cache(maxsize=4)
def parse_keys(value: str) -> IssuerKeys:
    """The keys of a `CPE_CREDENTIAL_KEYS` value; ImproperlyConfigured, saying what is wrong,
    for anything but a JWK Set of Ed25519 keys whose first key is private."""
    text = development_keys() if value.strip() == DEVELOPMENT else value
    try:
        entries = json.loads(text)["keys"]
    except (ValueError, TypeError, KeyError) as error:
        raise ImproperlyConfigured(
            'CPE_CREDENTIAL_KEYS must be a JWK Set: {"keys": [...]}, newest key first '
            "(python manage.py credential_key makes one).") from error
    if not isinstance(entries, list) or not entries:
        raise ImproperlyConfigured("CPE_CREDENTIAL_KEYS holds no key.")
    keys = []
    for number, entry in enumerate(entries, start=1):
        if not _is_ed25519(entry):
            raise ImproperlyConfigured(f'Key {number} of CPE_CREDENTIAL_KEYS is not an Ed25519 '
                                       'key ("kty": "OKP", "crv": "Ed25519").')
        try:
            key = JWK(**entry)
            # A key that does not decode to an Ed25519 point fails here, not at the first use.
            key.thumbprint()
            key.get_op_key("verify")
        except (JWException, ValueError, TypeError) as error:
            raise ImproperlyConfigured(
                f"Key {number} of CPE_CREDENTIAL_KEYS cannot be read: {error}") from error
        keys.append(key)
    if not keys[0].has_private:
        raise ImproperlyConfigured("The first key of CPE_CREDENTIAL_KEYS signs: it must hold "
                                   'its private part ("d").')
    _check_signs(keys[0])
    return IssuerKeys(signing=keys[0], published=tuple(keys))


def _check_signs(key: JWK) -> None:
    """Sign once and verify with the published half: a private part that is not the pair of
    its public one would sign credentials nobody can verify."""
    public = JWK(**public_jwk(key))
    try:
        probe = JWS(b"CPE Portal key check")
        probe.add_signature(key, alg=ALGORITHM, protected=json.dumps({"alg": ALGORITHM}))
        probe.verify(public, alg=ALGORITHM)
    except (JWException, ValueError, TypeError) as error:
        raise ImproperlyConfigured("The first key of CPE_CREDENTIAL_KEYS cannot sign: its "
                                   'private part ("d") is not an Ed25519 key, or not the '
                                   'pair of its public part ("x").') from error


def issuer_keys() -> IssuerKeys:
    if not settings.CPE_CREDENTIAL_KEYS.strip():
        raise ImproperlyConfigured("Set CPE_CREDENTIAL_KEYS: the keys credentials are signed "
                                   "with.")
    return parse_keys(settings.CPE_CREDENTIAL_KEYS)


def key_id(key: JWK) -> str:
    """The DID URL of a key: the issuer's DID and the key's RFC 7638 thumbprint."""
    return f"{issuer_did()}#{key.thumbprint()}"


def public_jwk(key: JWK) -> dict[str, str]:
    """The public half of a key, and nothing else."""
    public = key.export_public(as_dict=True)
    return {name: public[name] for name in ("kty", "crv", "x")}


def did_document() -> dict[str, object]:
    """The issuer's DID document, served at /.well-known/did.json: every published key as a
    JsonWebKey2020 verification method (public parts only) that may assert credentials."""
    did = issuer_did()
    methods = [{"id": key_id(key), "type": "JsonWebKey2020", "controller": did,
                "publicKeyJwk": public_jwk(key)}
               for key in issuer_keys().published]
    return {
        "@context": ["https://www.w3.org/ns/did/v1",
                     "https://w3id.org/security/suites/jws-2020/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


def sign(claims: dict[str, object]) -> str:
    """`claims` as a compact JWS signed with the first key: the JOSE header names the
    algorithm, the key (its DID URL) and the type, and nothing else (Open Badges 3.0 allows no
    other header). The same claims signed with the same key give the same token."""
    key = issuer_keys().signing
    header = {"alg": ALGORITHM, "kid": key_id(key), "typ": "JWT"}
    token = JWS(json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode())
    token.add_signature(key, alg=ALGORITHM, protected=json.dumps(header, separators=(",", ":")))
    return token.serialize(compact=True)


class InvalidSignature(Exception):
    pass


def verify(compact: str) -> dict[str, object]:
    """The claims of a compact JWS signed by one of the published keys, found by its `kid`;
    InvalidSignature for anything else."""
    token = JWS()
    try:
        token.deserialize(compact)
        kid = token.jose_header.get("kid")
        keys = {key_id(key): key for key in issuer_keys().published}
        if token.jose_header.get("alg") != ALGORITHM or kid not in keys:
            raise InvalidSignature(f"Not signed by a key of {issuer_did()}.")
        token.verify(keys[kid], alg=ALGORITHM)
    except JWException as error:
        raise InvalidSignature(str(error)) from error
    return json.loads(token.payload)

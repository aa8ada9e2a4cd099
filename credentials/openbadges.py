"""What the portal's credentials say, as plain data: the revocation list as a W3C
`BitstringStatusListCredential`, with the JWT claims Open Badges 3.0 puts beside a credential.
No ORM, no clock and no keys here: the callers read the record and sign."""

import base64
import gzip
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
# The Bitstring Status List's minimum length (16 KB uncompressed), so that a verifier fetching
# the list learns nothing about which of many credentials it checks. The list grows by this
# much at a time.
LIST_BLOCK_BITS = 131_072
STATUS_PURPOSE = "revocation"
# Every credential's status entry is in this one list, which grows as it needs to.
STATUS_LIST_ID = 1


@dataclass(frozen=True)
class Issuer:
    did: str
    name: str
    site_url: str
    time_zone: str


def jwt_claims(credential: dict[str, object], *, valid_from: datetime | None = None
               ) -> dict[str, object]:
    """The JWT payload of a credential: the credential itself with the registered claims Open
    Badges 3.0 asks for beside it (issuer, id, subject, and the start of its validity)."""
    claims = {**credential, "iss": _issuer_id(credential), "jti": credential["id"],
              "sub": credential["credentialSubject"]["id"]}  # type: ignore[index]
    if valid_from is not None:
        claims["nbf"] = int(valid_from.timestamp())
    return claims


def _issuer_id(credential: dict[str, object]) -> str:
    issuer = credential["issuer"]
    return issuer["id"] if isinstance(issuer, dict) else str(issuer)


def list_length(top_index: int | None) -> int:
    """Bits in the list: whole blocks of the minimum length, enough for the highest index
    drawn."""
    blocks = 1 if top_index is None else top_index // LIST_BLOCK_BITS + 1
    return blocks * LIST_BLOCK_BITS


def bitstring(revoked: Iterable[int], length: int) -> bytes:
    """The list's bits, index 0 the left-most bit of the first byte (the spec's order)."""
    bits = bytearray(length // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)
    return bytes(bits)


def encoded_list(bits: bytes) -> str:
    """GZIP, then multibase base64url without padding (the `u` prefix). No time stamp in the
    GZIP header: the same bits give the same text."""
    packed = gzip.compress(bits, mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def status_list_credential(*, url: str, issuer: Issuer, bits: bytes) -> dict[str, object]:
    """The revocation list as a BitstringStatusListCredential. It has no `validFrom`: it is
    true from the moment it is served, and the same bits always give the same credential."""
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.did,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": STATUS_PURPOSE,
            "encodedList": encoded_list(bits),
        },
    }

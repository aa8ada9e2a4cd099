"""What the portal's credentials say, as plain data: a certification as an Open Badges 3.0
`OpenBadgeCredential` (a W3C Verifiable Credential, Data Model 2.0) and the revocation list as a
W3C `BitstringStatusListCredential`, with the JWT claims Open Badges 3.0 puts beside them. No
ORM, no clock and no keys here: the callers read the record and sign."""

import base64
import binascii
import gzip
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from activities.rules import credits_text

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# The Bitstring Status List's minimum length (16 KB uncompressed), so that a verifier fetching
# the list learns nothing about which of many credentials it checks. The list grows by this
# much at a time.
LIST_BLOCK_BITS = 131_072
STATUS_PURPOSE = "revocation"
# Every credential's status entry is in this one list, which grows as it needs to.
STATUS_LIST_ID = 1


@dataclass(frozen=True)
class CertificationFacts:
    """What a certification's credential says, read from the record."""

    badge_id: uuid.UUID
    holder_pk: int
    holder_name: str
    title_code: str
    title_name: str
    level_name: str
    required_credits: Decimal
    field_name: str
    awarded_on: date
    status_list_index: int


@dataclass(frozen=True)
class Issuer:
    did: str
    name: str
    site_url: str
    time_zone: str


@dataclass(frozen=True)
class CpeRules:
    """The settings the criteria narrative quotes."""

    grace_days: int
    cap_from: date
    cap_factor: Decimal


def _urn(issuer: Issuer, kind: str, key: object) -> str:
    """A stable URN for something of the issuer's that has no page of its own: the same
    issuer, kind and key give the same URN."""
    return f"urn:uuid:{uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, issuer.did), f'{kind}/{key}')}"


def holder_id(issuer: Issuer, holder_pk: int) -> str:
    """The recipient's identifier: one per holder and issuer, the same in each of the holder's
    credentials, and no address or name in it."""
    return _urn(issuer, "holder", holder_pk)


def criteria_narrative(facts: CertificationFacts, issuer: Issuer, rules: CpeRules) -> str:
    """What it takes to hold the title, in the Quick CPE Guide's plain words."""
    names = {"issuer": issuer.name, "title": facts.title_name, "level": facts.level_name,
             "field": facts.field_name.lower(), "grace": rules.grace_days,
             "credits": credits_text(facts.required_credits),
             "cap_from": date_format(rules.cap_from),
             "factor": credits_text(rules.cap_factor)}
    awarded = _("Awarded by %(issuer)s to a holder of the %(title)s certification, at the "
                "%(level)s level.") % names
    if facts.required_credits <= 0:
        return awarded + " " + _("%(level)s titles require no Continuing Professional "
                                 "Education (CPE): the certification stays valid without "
                                 "yearly credits.") % names
    return awarded + " " + _(
        "To keep it, the holder earns at least %(credits)s CPE credits in every certification "
        "year (from one anniversary of the award date to the day before the next) with "
        "professional development activities relevant to %(field)s or a neighbouring field, "
        "not the holder's regular job, and reports them at most %(grace)s days after the year "
        "ends. In years that begin on or after %(cap_from)s, at most %(factor)s times the "
        "yearly requirement counts. A holder who falls short is decertified and this "
        "credential revoked; an appeal the Board upholds restores it.") % names


def valid_from(day: date, time_zone: str) -> datetime:
    """The start of a day in the portal's time zone."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(time_zone))


def open_badge_credential(facts: CertificationFacts, *, issuer: Issuer, rules: CpeRules,
                          status_list_url: str) -> dict[str, object]:
    """The certification as an OpenBadgeCredential: the holder as recipient, the title and
    level as the achievement with its criteria, the certification body as issuer, valid from
    the award date, its revocation bit in the status list."""
    awarded = valid_from(facts.awarded_on, issuer.time_zone).isoformat()
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{facts.badge_id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": facts.title_name,
        "issuer": {"id": issuer.did, "type": ["Profile"], "name": issuer.name,
                   "url": issuer.site_url},
        "validFrom": awarded,
        "awardedDate": awarded,
        "credentialSubject": {
            "id": holder_id(issuer, facts.holder_pk),
            "type": ["AchievementSubject"],
            # The name the public badge page shows, and nothing else about the holder.
            "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": False,
                            "identityHash": facts.holder_name}],
            "achievement": {
                "id": _urn(issuer, "title", facts.title_code),
                "type": ["Achievement"],
                "achievementType": "Certification",
                "humanCode": facts.title_code.upper(),
                "name": facts.title_name,
                "description": _("%(title)s: a certification at the %(level)s level in "
                                 "%(field)s.") % {"title": facts.title_name,
                                                  "level": facts.level_name,
                                                  "field": facts.field_name.lower()},
                "criteria": {"narrative": criteria_narrative(facts, issuer, rules)},
                "fieldOfStudy": facts.field_name,
            },
        },
        "credentialStatus": {
            "id": f"{status_list_url}#{facts.status_list_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": STATUS_PURPOSE,
            "statusListIndex": str(facts.status_list_index),
            "statusListCredential": status_list_url,
        },
    }


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


def decoded_list(encoded: str) -> bytes:
    """The bits of an `encodedList`: multibase base64url (the `u` prefix), then GZIP.
    ValueError for anything else."""
    if not encoded.startswith("u"):
        raise ValueError("The status list is not multibase base64url.")
    text = encoded[1:]
    try:
        return gzip.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (OSError, EOFError, binascii.Error) as error:
        raise ValueError("The status list cannot be decoded.") from error


def bit_is_set(bits: bytes, index: int) -> bool:
    """The bit at `index` (index 0 the left-most bit of the first byte); ValueError past the
    end of the list."""
    if not 0 <= index < len(bits) * 8:
        raise ValueError("The status list has no such index.")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


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

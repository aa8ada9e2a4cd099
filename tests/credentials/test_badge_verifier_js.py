"""Acceptance of the Open Badges credentials (issue 16): a verifier that is not the portal's code
(tests/js/verify-badge.mjs: did-jwt-vc and did-resolver from the npm registry, installed by
`make test`) checks a demo holder's credential against the portal served on loopback, resolving
its did:web from /.well-known/did.json and reading its bit in the signed status list. It is
valid; revoked once the year-end close decertifies the certification; valid again once the
Board upholds the appeal; and the same credential with one byte of its payload changed does not
verify."""

import base64
import json
import shutil
import subprocess
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.roles import BOARD
from appeals.services import decide_appeal, file_appeal
from certifications.enums import CertificationStatus
from certifications.models import Certification
from submissions.enums import DenialKind
from submissions.models import Denial
from tests.services import get, missing
from tests.staff import make_staff
from yearend.closing import close_certification_years

JS = Path(__file__).resolve().parents[1] / "js"
# The demo as loaded on this day: Hanna's Expert year 2 ended with 19 of 40 credits, and the
# close of that day decertifies it (see the README).
DEMO_DAY = date(2026, 11, 29)


def verify_with_node(jwt: str) -> dict:
    """What the independent verifier reports for a credential."""
    node = shutil.which("node")
    if node is None:
        missing("Node.js is not installed")
    if not (JS / "node_modules" / "did-jwt-vc").is_dir():
        missing("did-jwt-vc is not installed: run `npm ci --prefix tests/js` (make test does)")
    done = subprocess.run([node, str(JS / "verify-badge.mjs")], input=jwt.encode(),  # noqa: S603 — fixed script
                          capture_output=True, check=True, timeout=60)
    return json.loads(done.stdout)


def changed_by_one_byte(jwt: str, old: bytes, new: bytes) -> str:
    """The token with one byte of its payload changed, its signature left as it was."""
    head, payload, signature = jwt.split(".")
    claims = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert len(old) == len(new) and sum(a != b for a, b in zip(old, new, strict=True)) == 1
    changed = claims.replace(old, new, 1)
    assert changed != claims
    return ".".join([head, base64.urlsafe_b64encode(changed).decode().rstrip("="), signature])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_independent_verifier_follows_a_demo_badge_through_the_close_and_the_appeal(
        live_server, settings):
    settings.CPE_SITE_URL = live_server.url
    call_command("load_demo_data", "--date", DEMO_DAY.isoformat(), stdout=StringIO())
    expert = Certification.objects.get(holder__email="hanna@example.com", title__code="ISE")
    address = f"{live_server.url}/credentials/{expert.badge_id}.jwt"
    status, body, _headers = get(address)
    assert status == 200
    # The credential as the holder keeps it: checked again after each decision.
    kept = body.decode()

    issued = verify_with_node(kept)
    close_certification_years(today=DEMO_DAY)
    expert.refresh_from_db()
    after_close = verify_with_node(kept)
    served_after_close = verify_with_node(get(address)[1].decode())
    denial = Denial.objects.get(certification=expert, kind=DenialKind.DECERTIFIED)
    appeal = file_appeal(denial=denial, by=expert.holder, today=date(2026, 12, 1),
                         rationale="My employer's course records were filed late.")
    decide_appeal(appeal=appeal, by=make_staff(BOARD), upheld=True,
                  reason="The course records show the missing credits.")
    after_appeal = verify_with_node(kept)
    forged = verify_with_node(changed_by_one_byte(kept, b"Hanna de Vries", b"Hanna de Vriez"))

    did = "did:web:" + live_server.url.removeprefix("http://").replace(":", "%3A")
    assert issued == {"result": "VALID", "reason": None, "issuer": did,
                      "kid": issued["kid"], "statusListIndex": issued["statusListIndex"],
                      "achievement": "Information Security Expert"}
    assert issued["kid"].startswith(f"{did}#")
    assert expert.status == CertificationStatus.DECERTIFIED
    assert (after_close["result"], served_after_close["result"]) == ("REVOKED", "REVOKED")
    assert after_close["statusListIndex"] == issued["statusListIndex"]
    assert after_appeal["result"] == "VALID"
    assert forged["result"] == "INVALID"
    assert forged["reason"].startswith("signature: invalid_signature")

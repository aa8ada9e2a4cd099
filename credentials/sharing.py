"""How a holder shares a badge: LinkedIn's public add-to-profile link, and a QR code of the
verification page drawn by segno as inline SVG (no JavaScript, nothing fetched). No ORM."""

import uuid
from datetime import date
from urllib.parse import urlencode

import segno
from django.utils.safestring import SafeString, mark_safe

# LinkedIn's public "Add to profile" address: it opens the holder's profile with a new
# licence or certification filled in from these parameters.
LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"


def linkedin_add_url(*, name: str, organization: str, awarded_on: date, verify_url: str,
                     badge_id: uuid.UUID) -> str:
    """The add-to-profile link of a certification: its title, the certification body, the
    award's year and month, the verification page as the credential's address and the badge
    id as its number."""
    return LINKEDIN_ADD_TO_PROFILE + "?" + urlencode({
        "startTask": "CERTIFICATION_NAME", "name": name, "organizationName": organization,
        "issueYear": awarded_on.year, "issueMonth": awarded_on.month, "certUrl": verify_url,
        "certId": str(badge_id)})


def qr_svg(url: str, *, label: str) -> SafeString:
    """A QR code of `url` as an inline SVG image named `label` (its <title>), dark on light
    with the quiet zone the standard asks for, whatever the page's colours."""
    code = segno.make(url, error="m", micro=False)
    # segno escapes the title; the image role makes it the SVG's accessible name.
    svg = code.svg_inline(scale=4, border=4, title=label, dark="#000", light="#fff",
                          omitsize=True, svgclass="qr-code", lineclass=None)
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308 (segno's)

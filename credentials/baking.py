"""The badge as an image a holder keeps: our own SVG drawing of the title, level and holder,
with the signed credential baked in as Open Badges 3.0 says (its "Baked Badge" section): an
`openbadges:credential` element in the `https://purl.imsglobal.org/ob/v3p0` namespace, directly
after the `<svg>` tag, whose `verify` attribute is the compact JWS of the credential (a VC-JWT;
the element's body is for a credential with an embedded proof, which ours is not).

ElementTree writes the document, so every text and attribute is escaped. No ORM, no clock."""

import textwrap
from dataclasses import dataclass
from xml.etree import ElementTree

SVG_NS = "http://www.w3.org/2000/svg"
OB_NS = "https://purl.imsglobal.org/ob/v3p0"
CREDENTIAL_TAG = f"{{{OB_NS}}}credential"

ElementTree.register_namespace("", SVG_NS)
ElementTree.register_namespace("openbadges", OB_NS)

WIDTH, HEIGHT = 400, 440
# Characters per line of the title and the holder's name: what fits the seal at its font size.
TITLE_LINE, NAME_LINE = 20, 28
# The seal's colour per level (a dark shade each, for white text on it), and one for the rest.
LEVEL_COLOURS = {"foundation": "#0b5e8a", "practitioner": "#146c43", "expert": "#5a2d82",
                 "certified officer": "#7a3b00"}
OTHER_COLOUR = "#1f3b57"


@dataclass(frozen=True)
class BadgeText:
    """What the image says: the certification's title and level, the holder's name as the
    badge page shows it, the issuer's name, and the award date as the portal writes dates."""

    title: str
    level: str
    holder: str
    issuer: str
    awarded: str


def _element(parent: ElementTree.Element, tag: str, text: str = "",
             **attributes: str | int) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, f"{{{SVG_NS}}}{tag}",
                                     {name.replace("_", "-"): str(value)
                                      for name, value in attributes.items()})
    element.text = text or None
    return element


def _lines(parent: ElementTree.Element, text: str, *, width: int, y: int, step: int,
           size: int, weight: str = "normal", fill: str = "#ffffff", most: int = 3) -> int:
    """`text` wrapped at `width` characters, at most `most` lines (the last shortened with an
    ellipsis), centred from `y` down; the y below the last line."""
    lines = textwrap.wrap(text, width=width, max_lines=most, placeholder=" …") or [""]
    for line in lines:
        _element(parent, "text", line, x=WIDTH // 2, y=y, text_anchor="middle",
                 font_family="Helvetica, Arial, sans-serif", font_size=size,
                 font_weight=weight, fill=fill)
        y += step
    return y


def baked_svg(text: BadgeText, *, jwt: str) -> bytes:
    """The badge image, UTF-8, with the credential `jwt` baked in."""
    root = ElementTree.Element(f"{{{SVG_NS}}}svg", {
        "viewBox": f"0 0 {WIDTH} {HEIGHT}", "width": str(WIDTH), "height": str(HEIGHT),
        "role": "img", "aria-labelledby": "badge-title"})
    # Open Badges 3.0: directly after the <svg> tag, the one credential element.
    ElementTree.SubElement(root, CREDENTIAL_TAG, {"verify": jwt})
    _element(root, "title", f"{text.title} ({text.level}): {text.holder}", id="badge-title")
    colour = LEVEL_COLOURS.get(text.level.lower(), OTHER_COLOUR)
    _element(root, "rect", x=0, y=0, width=WIDTH, height=HEIGHT, rx=24, fill="#ffffff")
    # A seal: a ring of white inside a disc of the level's colour, the words on it.
    _element(root, "circle", cx=200, cy=186, r=166, fill=colour)
    _element(root, "circle", cx=200, cy=186, r=152, fill="none", stroke="#ffffff",
             stroke_width=3)
    y = _lines(root, text.level.upper(), width=TITLE_LINE, y=92, step=22, size=16,
               weight="bold", most=1)
    y = _lines(root, text.title, width=TITLE_LINE, y=y + 20, step=27, size=23, weight="bold")
    _lines(root, text.holder, width=NAME_LINE, y=max(y + 14, 250), step=20, size=17, most=2)
    _lines(root, text.awarded, width=NAME_LINE + 16, y=384, step=18, size=14, fill="#212529",
           most=1)
    _lines(root, text.issuer, width=NAME_LINE + 16, y=410, step=18, size=14, fill="#212529",
           weight="bold", most=1)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


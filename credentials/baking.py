"""The badge as an image a holder keeps: our own drawing of the title, level and holder,
with the signed credential baked in as Open Badges 3.0 says (its "Baked Badge" section): an
`openbadges:credential` element in the `https://purl.imsglobal.org/ob/v3p0` namespace, directly
after the `<svg>` tag, whose `verify` attribute is the compact JWS of the credential (a VC-JWT;
the element's body is for a credential with an embedded proof, which ours is not).

The same badge as a PNG, drawn by Pillow, has the credential in an iTXt chunk (the section's
PNG part). ElementTree writes the SVG, so every text and attribute is escaped. No ORM, no
clock."""

import io
import textwrap
from dataclasses import dataclass
from xml.etree import ElementTree

from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

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


@dataclass(frozen=True)
class Line:
    """One line of the badge's text, centred on the image at baseline `y`."""

    text: str
    y: int
    size: int
    bold: bool
    fill: str


def _wrapped(text: str, *, width: int, y: int, step: int, size: int, bold: bool = False,
             fill: str = "#ffffff", most: int = 3) -> list[Line]:
    """`text` wrapped at `width` characters, at most `most` lines (the last shortened with an
    ellipsis), from baseline `y` down."""
    lines = textwrap.wrap(text, width=width, max_lines=most, placeholder=" …") or [""]
    return [Line(line, y + number * step, size, bold, fill)
            for number, line in enumerate(lines)]


def layout(text: BadgeText) -> list[Line]:
    """Where each line goes, the same in the SVG and the PNG: the level, the title and the
    holder's name on the seal, the award and the issuer below it."""
    level = _wrapped(text.level.upper(), width=TITLE_LINE, y=92, step=22, size=16, bold=True,
                     most=1)
    title = _wrapped(text.title, width=TITLE_LINE, y=level[-1].y + 42, step=27, size=23,
                     bold=True)
    holder = _wrapped(text.holder, width=NAME_LINE, y=max(title[-1].y + 41, 250), step=20,
                      size=17, most=2)
    below = [*_wrapped(text.awarded, width=NAME_LINE + 16, y=384, step=18, size=14,
                       fill="#212529", most=1),
             *_wrapped(text.issuer, width=NAME_LINE + 16, y=410, step=18, size=14, bold=True,
                       fill="#212529", most=1)]
    return level + title + holder + below


def _colour(text: BadgeText) -> str:
    return LEVEL_COLOURS.get(text.level.lower(), OTHER_COLOUR)


# The seal: a disc of the level's colour with a white ring inside it.
SEAL_X, SEAL_Y, SEAL_R, RING_R, RING_WIDTH = 200, 186, 166, 152, 3


def _element(parent: ElementTree.Element, tag: str, text: str = "",
             **attributes: str | int) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, f"{{{SVG_NS}}}{tag}",
                                     {name.replace("_", "-"): str(value)
                                      for name, value in attributes.items()})
    element.text = text or None
    return element


def baked_svg(text: BadgeText, *, jwt: str) -> bytes:
    """The badge image, UTF-8, with the credential `jwt` baked in."""
    root = ElementTree.Element(f"{{{SVG_NS}}}svg", {
        "viewBox": f"0 0 {WIDTH} {HEIGHT}", "width": str(WIDTH), "height": str(HEIGHT),
        "role": "img", "aria-labelledby": "badge-title"})
    # Open Badges 3.0: directly after the <svg> tag, the one credential element.
    ElementTree.SubElement(root, CREDENTIAL_TAG, {"verify": jwt})
    _element(root, "title", f"{text.title} ({text.level}): {text.holder}", id="badge-title")
    _element(root, "rect", x=0, y=0, width=WIDTH, height=HEIGHT, rx=24, fill="#ffffff")
    _element(root, "circle", cx=SEAL_X, cy=SEAL_Y, r=SEAL_R, fill=_colour(text))
    _element(root, "circle", cx=SEAL_X, cy=SEAL_Y, r=RING_R, fill="none", stroke="#ffffff",
             stroke_width=RING_WIDTH)
    for line in layout(text):
        _element(root, "text", line.text, x=WIDTH // 2, y=line.y, text_anchor="middle",
                 font_family="Helvetica, Arial, sans-serif", font_size=line.size,
                 font_weight="bold" if line.bold else "normal", fill=line.fill)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


# The PNG is drawn at twice the SVG's size, for screens that have twice the pixels.
PNG_SCALE = 2
# What the PNG's iTXt chunk is called (Open Badges 3.0, "Baked Badge": PNG).
PNG_KEYWORD = "openbadgecredential"


def baked_png(text: BadgeText, *, jwt: str) -> bytes:
    """The same badge drawn by Pillow, with the credential `jwt` baked in as Open Badges 3.0
    says for a PNG: one uncompressed iTXt chunk, keyword `openbadgecredential`. Its text is
    in the font Pillow carries, which draws Latin letters; the SVG uses the reader's fonts."""
    k = PNG_SCALE
    image = Image.new("RGB", (WIDTH * k, HEIGHT * k), "#ffffff")
    draw = ImageDraw.Draw(image)
    for radius, fill, outline, width in ((SEAL_R, _colour(text), None, 0),
                                         (RING_R, None, "#ffffff", RING_WIDTH)):
        draw.ellipse([(SEAL_X - radius) * k, (SEAL_Y - radius) * k,
                      (SEAL_X + radius) * k, (SEAL_Y + radius) * k],
                     fill=fill, outline=outline, width=width * k)
    for line in layout(text):
        font = ImageFont.load_default(line.size * k)
        # Centred on its baseline, as the SVG's text-anchor="middle" at y; bold drawn with a
        # stroke of its own colour (the font has no bold face).
        draw.text((WIDTH // 2 * k, line.y * k), line.text, font=font, fill=line.fill,
                  anchor="ms", stroke_width=1 if line.bold else 0, stroke_fill=line.fill)
    chunks = PngInfo()
    chunks.add_itxt(PNG_KEYWORD, jwt, lang="", tkey="", zip=False)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=chunks, optimize=True)
    return out.getvalue()

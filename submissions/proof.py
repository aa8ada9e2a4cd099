"""Proof files are recognised by their content, never by their name."""

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

# Content type → the bytes such a file starts with, and the suffix its stored name gets.
SIGNATURES: dict[str, tuple[bytes, str]] = {
    "application/pdf": (b"%PDF-", ".pdf"),
    "image/png": (b"\x89PNG\r\n\x1a\n", ".png"),
    "image/jpeg": (b"\xff\xd8\xff", ".jpg"),
}
HEAD_BYTES = 16


def detect_content_type(head: bytes) -> str | None:
    """The content type of a file starting with `head`, if it is one we accept."""
    for content_type, (signature, _suffix) in SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    return None


def suffix_for(content_type: str) -> str:
    return SIGNATURES[content_type][1]


def proof_problem(head: bytes, size: int, *, max_bytes: int) -> str:
    """What is wrong with a file for proof, in the holder's words; empty when nothing is."""
    if size == 0:
        return _("The file is empty.")
    if size > max_bytes:
        return _("The file is %(size)s; proof files can be at most %(max)s.") % {
            "size": filesizeformat(size), "max": filesizeformat(max_bytes)}
    if detect_content_type(head) is None:
        return _("Upload a PDF, PNG or JPEG file; this file is none of those, whatever its "
                 "name says.")
    return ""

"""Appeal rules as plain functions: the window, the length of a rationale, the meeting an
appeal goes to. No ORM, no clock."""

import io
import re
from datetime import date, timedelta

# A word as a reader counts one: letters or digits, joined by apostrophes or hyphens inside
# ("don't", "follow-up" and "ISO-27001" are one word each); punctuation alone is none.
WORD = re.compile(r"[^\W_]+(?:['\u2019\-][^\W_]+)*")


def words(text: str) -> int:
    """How many words a reader would count in `text`."""
    return len(WORD.findall(text))


def pdf_pages(data: bytes) -> int:
    """The number of pages of a PDF. Raises ValueError for a file that is not a readable PDF,
    or one that is encrypted."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF-"):
        raise ValueError("not a PDF")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValueError("encrypted")
        return len(reader.pages)
    except (PdfReadError, OSError, KeyError, TypeError, AttributeError) as error:
        raise ValueError("not a readable PDF") from error


def earliest_meeting_day(*, filed_on: date, preparation_days: int) -> date:
    """The first day a Board meeting may take an appeal filed on `filed_on`: the preparation
    period after filing."""
    return filed_on + timedelta(days=preparation_days)

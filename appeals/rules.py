"""Appeal rules as plain functions: the window, the length of a rationale, the meeting an
appeal goes to. No ORM, no clock."""

import io
import unicodedata
from datetime import date, timedelta

# Parts of one word: "don't", "follow-up", "state-of-the-art" and "ISO-27001" are one word
# each. Two in a row are a dash written with hyphens ("well--known" is two words), and one at
# either end of a word is punctuation.
JOINERS = frozenset("'\u2019-")
# Scripts written without spaces between words: a reader (and a word processor) counts each
# character as a word.
UNSPACED_SCRIPTS = ("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH", "HIRAGANA",
                    "KATAKANA")


def _stands_alone(char: str) -> bool:
    return unicodedata.name(char, "").startswith(UNSPACED_SCRIPTS)


def words(text: str) -> int:
    """How many words a reader would count in `text`, in any script and Unicode form: letters
    and digits joined by apostrophes or single hyphens, with their combining marks (an accent
    written as a letter and a combining mark is part of the word, as composed it would be);
    punctuation alone is none."""
    count = 0
    # Outside a word, inside one, or just after a joiner inside one.
    state = "out"
    for char in unicodedata.normalize("NFC", text):
        if char.isalnum():
            if state == "out" or _stands_alone(char):
                count += 1
            state = "out" if _stands_alone(char) else "word"
        elif state == "word" and unicodedata.category(char).startswith("M"):
            continue
        elif state == "word" and char in JOINERS:
            state = "joiner"
        else:
            state = "out"
    return count


def pdf_pages(data: bytes) -> int:
    """The number of pages of a PDF. Raises ValueError for a file that is not a readable PDF
    (truncated, corrupt, or built to exhaust the reader: a page tree too deep or too wide),
    or one that is encrypted."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not data.startswith(b"%PDF-"):
        raise ValueError("not a PDF")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ValueError("encrypted")
        return len(reader.pages)
    # PyPdfError covers pypdf's own refusals (PdfReadError, LimitReachedError for a page tree
    # past its limits); structures nested deeper than Python's stack end in RecursionError;
    # the rest are what a malformed object table makes pypdf trip over.
    except (PyPdfError, RecursionError, OSError, LookupError, TypeError, AttributeError,
            ArithmeticError) as error:
        raise ValueError("not a readable PDF") from error


def earliest_meeting_day(*, filed_on: date, preparation_days: int) -> date:
    """The first day a Board meeting may take an appeal filed on `filed_on`: the preparation
    period after filing."""
    return filed_on + timedelta(days=preparation_days)

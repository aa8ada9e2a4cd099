"""Appeal rules as plain functions: how a reader counts words, how many pages a PDF has, and
the first day a Board meeting may take an appeal."""

from datetime import date

import pytest

from appeals.rules import earliest_meeting_day, pdf_pages, words
from tests.factories import pdf_bytes


@pytest.mark.parametrize(("text", "count"), [
    ("follow-up", 1),
    # Two hyphens still join one word.
    ("state-of-the-art", 1),
    ("end-to-end review", 2),
    ("don't", 1),
    ("rock\u2019n\u2019roll", 1),
    ("ISO-27001", 1),
    # A hyphen or apostrophe outside a word joins nothing.
    ("- dash -", 1),
    ("'quoted'", 1),
    ("well--known", 2),
    # An underscore is no letter: it separates.
    ("snake_case", 2),
    ("", 0),
    ("  -- . ,  ", 0),
    ("one two  three\nfour\tfive", 5),
    # Scripts without spaces: each character is a word, and a word after one counts again.
    ("漢字abc", 3),
    ("漢abc", 2),
    # Combining marks inside a word are part of it, in a script that never composes them.
    ("\u0939\u093f\u0928\u094d\u0926\u0940 \u092d\u093e\u0937\u093e", 2),
    ("re\u0301sume\u0301 review", 2),
    # A mark on a hyphen is no letter: the word ends there.
    ("well-\u0301known", 2),
    # A letter without a Unicode name (a Tangut ideograph) is still a letter.
    ("\U00017000", 1),
])
def test_words_counts_as_a_reader_would(text, count):
    assert words(text) == count


@pytest.mark.parametrize("pages", [1, 2, 3])
def test_pdf_pages_counts_the_pages(pages):
    assert pdf_pages(pdf_bytes(pages)) == pages


def test_pdf_pages_refuses_a_file_that_is_not_a_pdf():
    with pytest.raises(ValueError, match=r"^not a PDF$"):
        pdf_pages(b"Dear Board, I disagree.")


@pytest.mark.parametrize("data", [
    b"%PDF-1.7\nthis is no PDF at all",
    b"%PDF-",
    pdf_bytes(2)[:300],
    pdf_bytes(2)[:-40],
], ids=["garbage", "header-only", "truncated", "no-trailer"])
def test_pdf_pages_refuses_a_corrupt_pdf(data):
    with pytest.raises(ValueError, match=r"^not a readable PDF$"):
        pdf_pages(data)


def test_pdf_pages_refuses_an_encrypted_pdf_and_says_so():
    # The filing service tells the holder to remove the password on exactly this message.
    with pytest.raises(ValueError, match=r"^encrypted$"):
        pdf_pages(pdf_bytes(1, password="secret"))


def test_earliest_meeting_day_is_the_preparation_period_after_filing():
    assert earliest_meeting_day(filed_on=date(2025, 3, 1), preparation_days=0) == date(2025, 3, 1)
    assert earliest_meeting_day(filed_on=date(2025, 3, 1), preparation_days=14) == date(
        2025, 3, 15)

"""The pieces the holder's pages are written with say what `translate`, `blocktranslate`,
`|date` and `{% url %}` say, however often they are asked."""

import uuid
from datetime import date

from django.urls import reverse
from django.utils import translation

from common.markup import Words, path


def test_a_url_is_the_reversed_url_for_every_id_and_badge():
    for pk, number in ((1, 1), (42, 3), (987_654_321, 12)):
        assert path("submissions:year_detail", pk, number) == reverse(
            "submissions:year_detail", args=[pk, number])
    for badge in (uuid.uuid4(), uuid.uuid4()):
        assert path("certifications:badge", badge) == reverse("certifications:badge",
                                                              args=[badge])


def test_words_escape_a_bare_message_and_put_escaped_values_in_a_sentence():
    say = Words()

    assert say("Sign in") == "Sign in"
    assert say("%(title)s credits", title="&lt;b&gt;") == "&lt;b&gt; credits"
    assert say.day(date(2027, 3, 2)) == "2 March 2027"
    assert say.day(date(2027, 3, 2)) == "2 March 2027"  # kept, and the same


def test_days_are_kept_per_language():
    day = date(2027, 3, 2)
    assert Words().day(day) == "2 March 2027"

    with translation.override("de"):
        german = Words().day(day)

    assert german == "2. März 2027"
    assert Words().day(day) == "2 March 2027"

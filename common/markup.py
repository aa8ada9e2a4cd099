"""The pieces pages written in Python are made of, each made once and kept: translated words
per language, formatted days, and URL patterns.

A holder's dashboard says the same few dozen sentences, days and links on every view; through
`gettext`, `date_format` and `reverse` each costs from a few to fifty microseconds, and
together they cost more than the rest of the page. They change only with the language, the
date format or the URLs, all fixed while a process runs (the URL patterns are kept per script
prefix and URL configuration)."""

from datetime import date
from uuid import UUID

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import formats
from django.utils.html import escape
from django.utils.translation import get_language, gettext

# Each bounded: cleared when full, then filled again by what pages ask for.
_LIMIT = 10_000
_words: dict[tuple[str | None, str], str] = {}
_days: dict[tuple, str] = {}
_patterns: dict[tuple, tuple[str, ...]] = {}


def _keep(store: dict, key: object, value: object) -> None:
    if len(store) >= _LIMIT:
        store.clear()
    store[key] = value


def date_text(day: date) -> str:
    """The day as the portal writes dates (DATE_FORMAT) in the active language, unescaped."""
    key = (get_language(), day)
    text = _days.get(key)
    if text is None:
        text = formats.date_format(day)
        _keep(_days, key, text)
    return text


class Words:
    """The active language's translations, each asked of gettext once per process.

    `say(message)` is the message translated and escaped, as `{% translate %}` writes it;
    `say(message, name=value, ...)` the translated message with the values (which the caller
    escaped) put in, as `{% blocktranslate %}` writes it."""

    __slots__ = ("language",)

    def __init__(self) -> None:
        self.language = get_language()

    def _translated(self, message: str) -> str:
        key = (self.language, message)
        translated = _words.get(key)
        if translated is None:
            translated = gettext(message)
            _keep(_words, key, translated)
        return translated

    def __call__(self, message: str, **values: object) -> str:
        if values:
            return self._translated(message) % values
        key = (self.language, "\0escaped\0" + message)
        escaped = _words.get(key)
        if escaped is None:
            escaped = escape(self._translated(message))
            _keep(_words, key, escaped)
        return escaped

    def day(self, day: date) -> str:
        """The day as the portal writes dates (DATE_FORMAT), escaped."""
        key = (self.language, "\0escaped\0", day)
        text = _days.get(key)
        if text is None:
            text = escape(formats.date_format(day))
            _keep(_days, key, text)
        return text


# Stand-ins a URL is reversed with once, then split around.
_INT_STAND_IN = 987_654_320
_UUID_STAND_IN = "0f0e0d0c-0b0a-4908-8706-0504030201{:02d}"


def path(name: str, *args: int | UUID) -> str:
    """`reverse(name, args=args)`, escaped for HTML, for URLs whose arguments are ids (ints)
    or UUIDs: the URL is reversed once per process with stand-ins and filled in after."""
    kinds = tuple(type(arg) for arg in args)
    key = (get_script_prefix(), get_urlconf(), name, kinds)
    pieces = _patterns.get(key)
    if pieces is None:
        stand_ins = [str(_INT_STAND_IN + n) if kind is int else _UUID_STAND_IN.format(n)
                     for n, kind in enumerate(kinds)]
        text = escape(reverse(name, args=[int(s) if k is int else UUID(s)
                                          for s, k in zip(stand_ins, kinds, strict=True)]))
        split = []
        for stand_in in stand_ins:
            before, found, text = text.partition(stand_in)
            if not found:
                raise ValueError(f"{name}: an argument does not appear in its URL as given")
            split.append(before)
        pieces = (*split, text)
        _keep(_patterns, key, pieces)
    out = [pieces[0]]
    for arg, piece in zip(args, pieces[1:], strict=True):
        out.append(str(int(arg)) if isinstance(arg, int) else str(UUID(str(arg))))
        out.append(piece)
    return "".join(out)

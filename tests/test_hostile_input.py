"""No input answers with a server error, and a refused request leaves nothing half-saved.

The test finds what to attack by itself, so a field added to a template tomorrow is attacked
tomorrow without a change here:

1. **Crawl.** It signs in through the real sign-in form (and reauthenticates, so the account
   pages that ask for a fresh password open) and follows every link and redirect inside the
   site from the dashboard: admin and static files aside, at most a couple of pages per URL
   pattern, downloads included.
2. **Read the forms.** On every page it reads each ``<form>``: action, method, enctype, every
   input, select and textarea (hidden ones too), named submit buttons, file inputs, and the
   URLs the form's script posts the same fields to (``data-*-url``: the live preview). Each
   form is submitted once with values that pass, and the forms of the page that answers (the
   log form's confirm step) are read too.
3. **Plan.** Forms posting to one URL pattern share their parameters: each is attacked from the
   form whose passing values got furthest (a save beats a page that asks again), so the attack
   meets the deepest code. The same form at two addresses (the confirm step of logging and of
   editing) shares the work: the hostile values of each parameter alternate between the two.
4. **Attack.** Each parameter gets hostile values one at a time while the others keep their
   passing values: a core every parameter gets, and more by the parameter's shape (a number,
   a date, text) as its type or its value shows. Then every hostile value goes to the whole
   form at once, so each parameter meets each value; then invented parameters, hostile names
   and too many fields. Each page's query parameters (those its links carry, plus invented
   ones) and the ids in its path get the same, and another holder tries every URL and form of
   the first.

Each request runs in a savepoint that is rolled back afterwards, so every request meets the same
data, and the client's cookies are put back, so a request that signs out, rotates the session or
stores a message does not change what the next one meets. The client checks CSRF tokens like a
browser: the page's token stays in every request except those attacking the token itself, and a
403 anywhere else would mean the attack never reached the view.

After every request: the answer is one of ``ALLOWED``; if the request was refused (anything but
a redirect without an error message) no row of the submissions app changed; a saved entry
belongs to the signed-in holder and has its history; recorded proof has its file. Problems are
collected, not raised one by one, so a run lists all it found.
"""

import io
import itertools
import re
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ERROR_FLAG, ORDER_VAR, PAGE_VAR, SEARCH_VAR, ChangeList
from django.contrib.messages import constants as message_levels
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import Resolver404, resolve, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from accounts.roles import REVIEWER
from submissions.enums import DenialKind, EntryState
from submissions.models import Entry, EntryStateChange, ProofFile
from submissions.services import attach_proof, record_denial
from tests.factories import PASSWORD, CertificationFactory, EntryFactory, UserFactory, title
from tests.staff import add_totp, make_staff, sign_in, totp_code

pytestmark = pytest.mark.django_db

NOW = "2025-06-01 10:00 +02:00"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# What a hostile request may be answered with; a 5xx above all is a failure.
ALLOWED = frozenset({200, 302, 400, 403, 404, 405})
# A 403 is the CSRF check refusing: right only when the token itself is attacked.
ALLOWED_WITH_TOKEN = ALLOWED - {403}
# Pages of one URL pattern worth reading: the others hold the same forms with other ids.
PAGES_PER_ROUTE = 2
# Not ours to attack: the admin is Django's and staff's, static files are files.
OUTSIDE = ("/admin/", "/static/", "/media/")
CSRF_FIELD = "csrfmiddlewaretoken"
PROOF_STORAGE = ProofFile._meta.get_field("file").storage

# --- Hostile values ------------------------------------------------------------------------------

Value = str | list[str]
UNICODE = "\u202e🧑‍💻e\u0301\u0301\u200f"  # right-to-left override, emoji, combining accents

# Every parameter, one at a time.
CORE: list[Value] = [
    "",
    "1\x00",
    "²",  # str.isdigit() says yes, int() says no
    "9" * 5000,  # more digits than int() parses
    "x" * 100_000,
    UNICODE,
    ["1", "2"],  # the parameter repeated
]
# And by shape, one at a time.
FOR_NUMBERS: list[Value] = ["-1", "0", "9223372036854775808", "NaN", "Infinity", "1e400"]
FOR_DATES: list[Value] = ["2025-02-30", "0000-00-00", "99999-01-01", "0001-01-01",
                          "9999-12-31"]
FOR_TEXT: list[Value] = ["=1+1", "+1", "-2+3", "@SUM(A1:A2)",
                         '<script>alert(1)</script>"><img src=x onerror=alert(1)>']
# The whole form at once: the values above and more of the same kinds.
MORE: list[Value] = [
    "\x00",
    "a\x00b",
    "   ",
    "٣",  # an Arabic-Indic three, which int() takes
    "-9223372036854775809",
    "0.0000000001",
    "-Infinity",
    "\u202e",
    "e" + "\u0301" * 500,
    "{{ 7|add:7 }}{% now 'Y' %}",
    "' OR '1'='1' --",
    "%00%ff",
    "2025-13-01",
    ["", "\x00"],
]
ALL_AT_ONCE = [*CORE, *FOR_NUMBERS, *FOR_DATES, *FOR_TEXT, *MORE]
# Parameters no form has: what a view might read without a form, what a mass assignment takes.
INVENTED = ["page", "next", "q", "id", "pk", "entry_id", "reason", "holder", "state",
            "claimed_credits", "approved_credits", "is_staff", "format", "sort", "lang"]
INVENTED_VALUES: list[Value] = ["1\x00", "²", "9" * 5000, "-1", "x" * 10_000, UNICODE,
                                ["1", "2"], FOR_TEXT[-1]]
# Parameter names as hostile as values.
HOSTILE_NAMES = {"\x00": "1", "²": "1", "x" * 5000: "1", "page[]": "1", "a\u202eb": "1",
                 "<script>": "1", "": "1"}
# Query strings no browser would send.
RAW_QUERIES = ["%FF%FE&page=%C0%80&year=%ZZ&&&==&state&=1", "page=1;page=2&page=%00"]
# Nonsense for the ids in a path.
PATH_NONSENSE = ["0", "00", "9223372036854775808", "9" * 30, "9" * 5000, "-1", "²", "1.0",
                 "%00", "x", "0x10", "00000000-0000-4000-8000-000000000000"]

NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
TEXT_KINDS = {"text", "textarea", "email", "password", "search", "url", "tel"}


def hostile_files() -> list[tuple[str, list[object]]]:
    """(what it is, files) for a file input."""
    return [
        ("an empty file", [SimpleUploadedFile("empty.pdf", b"")]),
        ("a nameless empty file", [io.BytesIO(b"")]),
        ("HTML named .pdf", [SimpleUploadedFile("invoice.pdf", b"<html><script></script>")]),
        ("a PDF without a suffix", [io.BytesIO(PDF)]),
        ("a huge name", [SimpleUploadedFile("a" * 1000 + ".pdf", PDF)]),
        ("a path in the name", [SimpleUploadedFile("../../../etc/passwd.pdf", PDF)]),
        ("NUL in the name", [SimpleUploadedFile("cert\x00.pdf", PDF)]),
        ("a right-to-left name", [SimpleUploadedFile("cert\u202efdp.exe", PDF)]),
        ("twenty files", [SimpleUploadedFile(f"cert{i}.pdf", PDF) for i in range(20)]),
    ]


def _fresh(value: object) -> object:
    """A new copy of uploads (each is read once), anything else as it is."""
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    if isinstance(value, SimpleUploadedFile):
        return SimpleUploadedFile(value.name, value.file.getvalue(), value.content_type)
    if isinstance(value, io.BytesIO):
        return io.BytesIO(value.getvalue())
    return value


def _is_upload(value: object) -> bool:
    return isinstance(value, list) and bool(value) and not isinstance(value[0], str)


def _label(value: object) -> str:
    return repr(value)[:40]


# --- Reading pages -------------------------------------------------------------------------------

@dataclass
class Field:
    name: str
    kind: str  # an input's type, "select", "textarea" or "button"
    value: str = ""
    options: list[str] = field(default_factory=list)
    selected: str | None = None

    def hostile_values(self, other_ids: list[str]) -> Iterator[tuple[str, object]]:
        """(label, value) to send one at a time: the core, then what suits its shape; where
        an id travels, another holder's ids."""
        values = list(CORE)
        shown = [self.value, *self.options]
        if self.kind == "number" or any(NUMBER.fullmatch(v) for v in shown):
            values += FOR_NUMBERS
        if self.kind == "date" or any(DATE.fullmatch(v) for v in shown):
            values += FOR_DATES
        if self.kind in TEXT_KINDS or (self.kind == "hidden" and values == CORE):
            values += FOR_TEXT
        for value in values:
            yield _label(value), value
        if self.kind in ("hidden", "select") and (self.selected or self.value).isdecimal():
            for value in other_ids:
                yield f"another holder's id {value}", value
        if self.kind == "file":
            yield from hostile_files()


@dataclass
class Form:
    page: str
    method: str
    action: str
    multipart: bool
    fields: list[Field] = field(default_factory=list)
    # URLs the form's script posts the same fields to.
    also_posts_to: list[str] = field(default_factory=list)

    @property
    def signature(self) -> tuple[object, ...]:
        return (self.method, self.action, tuple(self.also_posts_to),
                tuple(sorted((f.name, f.kind) for f in self.fields)))

    @property
    def names(self) -> list[str]:
        return list(dict.fromkeys(f.name for f in self.fields if f.name))

    @property
    def paths(self) -> list[str]:
        return [self.action, *self.also_posts_to] if self.method == "post" else [self.action]

    @property
    def sends_files(self) -> bool:
        return self.multipart or self.method != "post"


class PageReader(HTMLParser):
    """The links and forms of an HTML page."""

    def __init__(self, url: str, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None
        self.feed(html)
        self.close()

    def _absolute(self, url: str) -> str:
        if not url or url.startswith("?"):
            return urlsplit(self.url).path + url
        return url

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "a" and "href" in a:
            self.links.append(self._absolute(a["href"].split("#")[0]))
        elif tag == "form":
            self._form = Form(
                page=self.url, method=a.get("method", "get").lower(),
                action=self._absolute(a.get("action", "")),
                multipart=a.get("enctype") == "multipart/form-data",
                also_posts_to=[value for name, value in a.items()
                               if name.startswith("data-") and name.endswith("-url")])
            self.forms.append(self._form)
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a:
                self._select.selected = a.get("value", "")
        elif self._form is None:
            return
        elif (tag == "button" and a.get("type", "submit") == "submit") or (
                tag == "input" and a.get("type", "").lower() in ("submit", "image")):
            # Unnamed buttons count: the first button is the one Enter presses.
            self._form.fields.append(Field(a.get("name", ""), "button", a.get("value", "")))
        elif "name" not in a:
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "value" not in a:
                a["value"] = "on"
            self._form.fields.append(Field(a["name"], kind, a.get("value", "")))
        elif tag == "select":
            self._select = Field(a["name"], "select")
            self._form.fields.append(self._select)
        elif tag == "textarea":
            self._textarea = Field(a["name"], "textarea")
            self._form.fields.append(self._textarea)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _is_html(response: HttpResponse) -> bool:
    return response.status_code == 200 and "text/html" in response.get("Content-Type", "")


def _ours(url: str) -> bool:
    parts = urlsplit(url)
    return (not parts.scheme and not parts.netloc and parts.path.startswith("/")
            and not parts.path.startswith(OUTSIDE))


def _route(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).route
    except Resolver404:
        return None


def _url_name(path: str) -> str:
    match = resolve(urlsplit(path).path)
    return f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name


# --- The world: a holder with two certifications, entries and proof; another holder -----------

@dataclass
class World:
    holder: User
    other: User
    # The ids of another holder's entry, proof, certification and account.
    other_ids: list[str]


def make_world() -> World:
    holder = UserFactory(full_name="Hanna Holder")
    EmailAddress.objects.create(user=holder, email=holder.email, verified=True, primary=True)
    CertificationFactory(holder=holder)
    CertificationFactory(holder=holder, title=title("ISE"), awarded_on=date(2024, 7, 1))
    # Enough withdrawn entries for a second page of the list; they count for nothing.
    for day in range(1, 27):
        EntryFactory(holder=holder, activity_date=date(2025, 1, day),
                     state=EntryState.WITHDRAWN)
    rejected = EntryFactory(holder=holder, activity_date=date(2025, 2, 1),
                            state=EntryState.REJECTED)
    # Its decision, with the appeal form on its page.
    record_denial(holder=holder, kind=DenialKind.ENTRY_REJECTED, entry=rejected,
                  denied_on=date(2025, 5, 20), reason="Not relevant")
    # The newest entry, first on the dashboard: editable, withdrawable, with proof.
    entry = EntryFactory(holder=holder, activity_date=date(2025, 5, 1), title="Threat modelling")
    attach_proof(entry=entry, upload=SimpleUploadedFile("cert.pdf", PDF), by=holder)

    other = UserFactory(full_name="Otto Other")
    EmailAddress.objects.create(user=other, email=other.email, verified=True, primary=True)
    certification = CertificationFactory(holder=other)
    theirs = EntryFactory(holder=other, activity_date=date(2025, 5, 2), title="Otto's course")
    proof = attach_proof(entry=theirs, upload=SimpleUploadedFile("x.pdf", PDF), by=other)
    return World(holder, other, [str(theirs.pk), str(proof.pk), str(certification.pk),
                                 str(other.pk)])


def _submit(client: Client, url: str, data: dict[str, str]) -> None:
    """Fill in the form `url` shows and posts to itself, as a browser would."""
    page = PageReader(url, client.get(url).content.decode())
    form = next(f for f in page.forms if f.action == url and f.method == "post")
    token = next(f.value for f in form.fields if f.name == CSRF_FIELD)
    response = client.post(url, {CSRF_FIELD: token, **data})
    assert response.status_code == 302, response.content.decode()[:2000]


def browser(user: User | None = None) -> Client:
    """A client that checks CSRF tokens like a browser. With a user: signed in through the
    sign-in form (staff with a code from their authenticator app too) and reauthenticated, so
    pages that want a fresh password open."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get(reverse("account_login"))  # sets the CSRF cookie
    if user is not None:
        _submit(client, reverse("account_login"), {"login": user.email, "password": PASSWORD})
        if user.is_staff:
            _submit(client, reverse("mfa_authenticate"), {"code": totp_code()})
        _submit(client, reverse("account_reauthenticate"), {"password": PASSWORD})
    return client


# --- Sending: a savepoint around each request, and what must hold after it -----------------------

def _table_digests(app_labels: tuple[str, ...] = ("submissions",)) -> dict[str, str]:
    """A digest of each table of the apps named, by table: a change to any row changes it.
    PostgreSQL promises no order for the arms of a UNION ALL, and its plan for this one answers
    them in another order from one run to the next, so the digests are read by table name,
    never by position."""
    tables = sorted({model._meta.db_table for label in app_labels
                     for model in apps.get_app_config(label).get_models()})
    with connection.cursor() as cursor:
        # Table names come from the app registry, not from input.
        cursor.execute(" UNION ALL ".join(
            f"SELECT '{table}', md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # noqa: S608
            f"FROM {connection.ops.quote_name(table)} t" for table in tables))
        return dict(cursor.fetchall())


def _last_pk(model: type) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# Server errors known and being fixed elsewhere, recorded apart instead of failing twice: none.
KNOWN_SERVER_ERRORS: list[Callable[[str, object], bool]] = []


@dataclass
class Prober:
    """Sends requests as one client and keeps what went wrong."""

    client: Client
    user: User | None
    failures: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    sent: int = 0
    # The apps whose tables a refused request must leave as they were.
    app_labels: tuple[str, ...] = ("submissions",)

    def __post_init__(self) -> None:
        self._cookies = self.client.cookies.output(header="", sep=";")

    @property
    def token(self) -> str:
        return self.client.cookies["csrftoken"].value

    def request(self, method: str, path: str, data: object = None, *, note: str = "",
                multipart: bool = True, raw_query: str | None = None,
                expect: frozenset[int] = ALLOWED, may_save: bool = True) -> HttpResponse:
        self.sent += 1
        where = f"{method.upper()} {path} {note}".strip()
        stored: list[str] = []
        with transaction.atomic():
            before = (_table_digests(self.app_labels), _last_pk(Entry), _last_pk(ProofFile))
            response = self._send(method, path, data, multipart, raw_query)
            if response.streaming:
                # Reading to the end closes the response the way the test client wants.
                b"".join(response.streaming_content)
            if response.status_code >= 500 and any(k(path, data) for k in KNOWN_SERVER_ERRORS):
                self.known.append(where)
            elif response.status_code not in expect:
                self.failures.append(f"{where}: answered {response.status_code}")
            if response.status_code < 500:
                stored = self._check_nothing_half_saved(response, method, before, where,
                                                        may_save)
            transaction.set_rollback(True)
        for name in stored:
            PROOF_STORAGE.delete(name)
        self.client.cookies.clear()
        self.client.cookies.load(self._cookies)
        return response

    def _send(self, method: str, path: str, data: object, multipart: bool,
              raw_query: str | None) -> HttpResponse:
        if isinstance(data, dict):
            data = {name: _fresh(value) for name, value in data.items()}
        if raw_query is not None:
            return self.client.generic(method.upper(), path, QUERY_STRING=raw_query)
        if method == "get":
            return self.client.get(path, data or {})
        if not multipart:
            return self.client.post(path, urlencode(data or {}, doseq=True),
                                    content_type="application/x-www-form-urlencoded")
        return self.client.post(path, data or {})

    def _check_nothing_half_saved(self, response: HttpResponse, method: str,
                                  before: tuple[object, int, int], where: str,
                                  may_save: bool) -> list[str]:
        """Record what is wrong with the rows the request left; return the proof files it
        stored, to be removed with the rows."""
        digests, last_entry, last_proof = before
        if _table_digests(self.app_labels) == digests:
            return []
        refused = (method != "post" or response.status_code != 302 or not may_save
                   or any(m.level >= message_levels.ERROR
                          for m in get_messages(response.wsgi_request)))
        if refused:
            after = _table_digests(self.app_labels)
            changed = sorted(name for name, digest in after.items() if digest != digests[name])
            self.failures.append(f"{where}: refused ({response.status_code}) yet changed "
                                 f"{', '.join(changed)}")
        for entry in Entry.objects.filter(pk__gt=last_entry):
            if self.user is None or entry.holder_id != self.user.pk:
                self.failures.append(f"{where}: saved an entry for user {entry.holder_id}")
            if not entry.state_changes.exists():
                self.failures.append(f"{where}: saved an entry without its history")
        stored = list(ProofFile.objects.filter(pk__gt=last_proof).values_list("file", flat=True))
        for name in stored:
            if not PROOF_STORAGE.exists(name):
                self.failures.append(f"{where}: recorded proof whose file is missing")
        return stored

    def report(self) -> str:
        shown = "\n".join(f"  {failure[:300]}" for failure in self.failures[:60])
        more = len(self.failures) - 60
        return (f"{len(self.failures)} problems in {self.sent} requests:\n{shown}"
                + (f"\n  … and {more} more" if more > 0 else ""))


# --- Discovery -----------------------------------------------------------------------------------

@dataclass
class Target:
    """One form posted to one path, with the values that pass and how far they got."""

    form: Form
    path: str
    base: dict[str, object]
    status: int
    # The parameters this target attacks one at a time; the others are attacked from a
    # target that gets further.
    names: list[str] = field(default_factory=list)
    # (which, of how many): the same form at several addresses takes every n-th value.
    share: tuple[int, int] = (0, 1)

    def send(self, prober: "Prober", data: dict[str, object], what: str,
             expect: frozenset[int]) -> None:
        if self.form.sends_files or not any(_is_upload(value) for value in data.values()):
            prober.request(self.form.method, self.path, data, multipart=self.form.sends_files,
                           note=f"(form on {self.form.page}) {what}", expect=expect)


@dataclass
class Site:
    visited: list[str] = field(default_factory=list)  # every URL fetched, downloads too
    targets: list[Target] = field(default_factory=list)
    # Query parameters the site's links carry, by path.
    link_params: dict[str, dict[str, str]] = field(default_factory=dict)


VALID_BY_NAME = {
    "activity_date": "2025-05-20", "title": "Ransomware response", "provider": "SECO",
    "hours": "1.5", "length_minutes": "90", "attended_minutes": "90", "quantity": "100",
    "proposed_credits": "5", "description": "Incident handling", "reason": "Logged twice",
    "full_name": "Nina Newcomer", "email": "nina@example.com", "login": "nina@example.com",
    "password": PASSWORD, "oldpassword": PASSWORD,
    "password1": "a fresh passphrase 2025", "password2": "a fresh passphrase 2025",
}
VALID_BY_KIND = {"email": "nina@example.com", "password": PASSWORD, "date": "2025-05-20",
                 "number": "1", "url": "https://example.com/", "tel": "+31 20 123 4567"}


def _valid_value(f: Field, user: User | None) -> object:
    if f.kind == "file":
        return [SimpleUploadedFile("cert.pdf", PDF)]
    if f.kind == "select":
        return f.selected or next((option for option in f.options if option), "")
    if f.kind in ("hidden", "checkbox", "radio") or f.value.strip():
        return f.value
    if f.name == "login" and user is not None:
        return user.email
    return VALID_BY_NAME.get(f.name, VALID_BY_KIND.get(f.kind, "Plain words"))


def values_that_pass(form: Form, user: User | None) -> dict[str, object]:
    """What a browser sends for the form filled in sensibly, with its first submit button."""
    data: dict[str, object] = {}
    first_button = True
    for f in form.fields:
        if f.kind == "button":
            if first_button and f.name:
                data[f.name] = f.value
            first_button = False
        elif f.kind != "radio" or f.name not in data:
            data[f.name] = _valid_value(f, user)
    return data


def discover(prober: Prober, seeds: list[str]) -> Site:
    site = Site()
    forms: list[Form] = []
    queue = deque(seeds)
    seen: set[str] = set()
    per_route: Counter[str] = Counter()
    signatures: set[tuple[object, ...]] = set()

    def keep_forms(page: PageReader) -> None:
        for form in page.forms:
            if form.signature not in signatures and _ours(form.action):
                signatures.add(form.signature)
                forms.append(form)

    while queue:
        url = queue.popleft()
        if url in seen or not _ours(url):
            continue
        seen.add(url)
        parts = urlsplit(url)
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            site.link_params.setdefault(parts.path, {})[name] = value
        route = _route(url)
        if route is None:
            prober.failures.append(f"a link leads nowhere: {url}")
            continue
        if per_route[route] >= PAGES_PER_ROUTE:
            continue
        per_route[route] += 1
        response = prober.request("get", url, note="(crawl)", expect=frozenset({200, 302}))
        site.visited.append(url)
        if response.status_code == 302:
            queue.append(response["Location"])
        elif _is_html(response):
            page = PageReader(url, response.content.decode())
            queue.extend(page.links)
            keep_forms(page)

    # Submit every form once with values that pass, reading the forms of the answer too.
    for form in forms:  # grows while it runs
        base = values_that_pass(form, prober.user)
        for path in form.paths:
            response = prober.request(form.method, path, base, multipart=form.sends_files,
                                      note=f"(form on {form.page}, values that pass)",
                                      expect=frozenset({200, 302}))
            site.targets.append(Target(form, path, base, response.status_code))
            if _is_html(response):
                keep_forms(PageReader(path, response.content.decode()))
    _plan(site.targets)
    return site


def _plan(targets: list[Target]) -> None:
    """Give each parameter of a URL pattern to one target: the first whose values that pass
    were saved (a redirect), else the first found. Targets with the same parameters at other
    URL patterns share the values."""
    groups: dict[tuple[str, str | None], list[Target]] = {}
    for target in targets:
        groups.setdefault((target.form.method, _route(target.path)), []).append(target)
    for group in groups.values():
        claimed: set[str] = set()
        for target in sorted(group, key=lambda t: t.status != 302):
            target.names = [name for name in target.form.names if name not in claimed]
            claimed.update(target.names)
    twins: dict[tuple[str, frozenset[str]], list[Target]] = {}
    for target in targets:
        names = frozenset(target.names) - {CSRF_FIELD}
        if len(names) >= 3:
            twins.setdefault((target.form.method, names), []).append(target)
    for same in twins.values():
        for i, target in enumerate(same):
            target.share = (i, len(same))


# --- Attacks -------------------------------------------------------------------------------------

def attack_forms(prober: Prober, site: Site, other_ids: list[str]) -> None:
    for target in site.targets:
        base = target.base
        which, of = target.share
        for f in target.form.fields:
            if f.name not in target.names:
                continue
            expect = ALLOWED if f.name == CSRF_FIELD else ALLOWED_WITH_TOKEN
            for i, (label, value) in enumerate(f.hostile_values(other_ids)):
                if i % of == which:
                    target.send(prober, {**base, f.name: value}, f"{f.name}={label}", expect)
        if not target.names:
            continue  # attacked from another target of its URL pattern
        attacked = [name for name in target.names if name != CSRF_FIELD]
        for value in ALL_AT_ONCE if attacked else []:
            target.send(prober, {**base, **dict.fromkeys(attacked, value)},
                        f"all={_label(value)}", ALLOWED_WITH_TOKEN)
        invented = [name for name in INVENTED if name not in base]
        for value in INVENTED_VALUES:
            target.send(prober, {**base, **dict.fromkeys(invented, value)},
                        f"invented parameters={_label(value)}", ALLOWED_WITH_TOKEN)
        theirs = dict(zip(invented, itertools.cycle(other_ids), strict=False))
        target.send(prober, {**base, **theirs}, "invented parameters=another holder's ids",
                    ALLOWED_WITH_TOKEN)
        target.send(prober, {**base, **HOSTILE_NAMES}, "hostile names", ALLOWED_WITH_TOKEN)
        target.send(prober, {**base, "spare": [str(i) for i in range(1001)]}, "1,001 fields",
                    ALLOWED)


def attack_query_strings(prober: Prober, site: Site, other_ids: list[str]) -> None:
    """Each page's own query parameters one at a time, then all at once; invented ones."""
    done: set[str | None] = set()
    for url in site.visited:
        if _route(url) in done:
            continue
        done.add(_route(url))
        parts = urlsplit(url)
        carried = dict(parse_qsl(parts.query, keep_blank_values=True))
        names = {**site.link_params.get(parts.path, {}), **carried}
        for name, shown in names.items():
            for label, value in Field(name, "hidden", shown).hostile_values(other_ids):
                prober.request("get", parts.path, {**carried, name: value},
                               note=f"{name}={label}")
        for value in ALL_AT_ONCE if names else []:
            prober.request("get", parts.path, {**carried, **dict.fromkeys(names, value)},
                           note=f"all={_label(value)}")
        for value in INVENTED_VALUES:
            prober.request("get", parts.path, {**carried, **dict.fromkeys(INVENTED, value)},
                           note=f"invented parameters={_label(value)}")
        prober.request("get", parts.path, {**carried, **HOSTILE_NAMES}, note="hostile names")
        for raw in RAW_QUERIES:
            prober.request("get", parts.path, raw_query=raw, note=f"?{raw}")


def _with_nonsense_ids(path: str, nonsense: list[str]) -> Iterator[tuple[str, str]]:
    """(path, which id) with each id in the path replaced by each nonsense value in turn."""
    segments = path.split("/")
    for name, value in resolve(path).kwargs.items():
        for i, segment in enumerate(segments):
            stem, dot, suffix = segment.partition(".")
            if stem == str(value):
                for bad in nonsense:
                    yield "/".join([*segments[:i], bad + dot + suffix, *segments[i + 1:]]), name
                break


def attack_path_ids(prober: Prober, site: Site) -> None:
    """Every URL and form action with ids in its path: nonsense ids are a 404, not a 500.
    (Another holder's ids in a path are the next test's.)"""
    paths = {urlsplit(url).path for url in site.visited} | {t.path for t in site.targets}
    done: set[str | None] = set()
    for path in sorted(paths):
        if _route(path) in done or not resolve(path).kwargs:
            continue
        done.add(_route(path))
        for bad_path, name in _with_nonsense_ids(path, PATH_NONSENSE):
            for method in ("get", "post"):
                prober.request(method, bad_path, {CSRF_FIELD: prober.token},
                               note=f"({name} in the path)",
                               expect=frozenset({404, 405}), may_save=False)


# --- Fixtures: the world and the crawl, made once for the module ----------------------------------

@dataclass
class Shared:
    world: World
    client: Client
    site: Site
    discovery: Prober

    def prober(self) -> Prober:
        return Prober(self.client, self.world.holder)


@pytest.fixture(scope="module")
def shared(django_db_setup, django_db_blocker) -> Iterator[Shared]:
    """Made in a transaction rolled back after the module; each test runs in a savepoint."""
    with django_db_blocker.unblock(), time_machine.travel(NOW, tick=False), \
            transaction.atomic():
        world = make_world()
        client = browser(world.holder)
        prober = Prober(client, world.holder)
        site = discover(prober, [reverse("home")])
        yield Shared(world, client, site, prober)
        stored = list(ProofFile.objects.values_list("file", flat=True))
        transaction.set_rollback(True)
    for name in stored:
        PROOF_STORAGE.delete(name)


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _attack(prober: Prober, attack: Callable[..., None], *args: object) -> None:
    attack(prober, *args)
    assert prober.failures == [], prober.report()


# --- Tests ---------------------------------------------------------------------------------------

# The pages and form actions a holder has: discovery must keep finding them all.
HOLDER_PAGES = {
    "home", "submissions:entry_list", "submissions:entry_create", "submissions:entry_detail",
    "submissions:entry_edit", "submissions:proof_download", "submissions:year_list",
    "submissions:year_detail", "submissions:transcript_csv", "submissions:transcript_pdf",
    "certifications:badge", "account_email", "account_change_password", "mfa_index",
    "mfa_activate_totp", "appeals:denial_detail",
}
HOLDER_FORM_ACTIONS = {
    "account_logout", "submissions:entry_create", "submissions:entry_preview",
    "submissions:entry_edit", "submissions:entry_withdraw", "submissions:proof_upload",
    "submissions:entry_list", "account_email", "account_change_password", "mfa_activate_totp",
    "appeals:denial_detail",
}


def _attacked(site: Site, url_name: str) -> set[str]:
    return {name for t in site.targets if _url_name(t.path) == url_name for name in t.names}


def test_discovery_finds_every_holder_page_form_and_parameter(shared):
    site = shared.site
    saving = {_url_name(t.path) for t in site.targets if t.status == 302 and t.names}

    assert shared.discovery.failures == [], shared.discovery.report()
    assert {_url_name(url) for url in site.visited} >= HOLDER_PAGES
    assert {_url_name(t.path) for t in site.targets} >= HOLDER_FORM_ACTIONS
    assert site.link_params[reverse("submissions:entry_list")] == {"page": "1"}
    # The confirm steps save, so the attacks on the log and edit forms meet the save.
    assert {"submissions:entry_create", "submissions:entry_edit"} <= saving
    assert {"activity_type", "activity_date", "hours", "title", "relevance_confirmed", "proof",
            "confirmed", "edit"} <= _attacked(site, "submissions:entry_create")
    assert "entry_id" in _attacked(site, "submissions:entry_edit")
    assert "entry_id" in _attacked(site, "submissions:entry_preview")


def test_every_form_parameter_survives_hostile_values(shared):
    _attack(shared.prober(), attack_forms, shared.site, shared.world.other_ids)


def test_every_query_parameter_survives_hostile_values(shared):
    _attack(shared.prober(), attack_query_strings, shared.site, shared.world.other_ids)


def test_nonsense_ids_in_paths_are_404(shared):
    _attack(shared.prober(), attack_path_ids, shared.site)


def test_another_holder_gets_404_for_every_url_and_form_of_the_first(shared):
    other = Prober(browser(shared.world.other), shared.world.other)
    paths = sorted({urlsplit(url).path for url in shared.site.visited}
                   | {t.path for t in shared.site.targets})
    # The badge is public by design: its unguessable id is the secret.
    with_ids = [p for p in paths if resolve(p).kwargs and "badge_id" not in resolve(p).kwargs]

    for path in with_ids:
        other.request("get", path, expect=frozenset({404, 405}))
    for target in shared.site.targets:
        if target.path in with_ids and target.form.method == "post":
            other.request("post", target.path, {**target.base, CSRF_FIELD: other.token},
                          multipart=target.form.sends_files, expect=frozenset({404}),
                          may_save=False)

    assert len(with_ids) >= 8
    assert other.failures == [], other.report()


def test_staff_read_every_holder_page_and_change_nothing_through_the_holders_forms(shared):
    staff = make_staff(REVIEWER)
    prober = Prober(browser(staff), staff)
    holder_pages = [url for url in shared.site.visited if resolve(urlsplit(url).path).kwargs]

    for url in holder_pages:
        # Editing and withdrawing are the holder's: staff are sent back to the entry.
        editing = _url_name(url) in {"submissions:entry_edit", "submissions:entry_withdraw"}
        prober.request("get", url, expect=frozenset({302} if editing else {200}))
    for target in shared.site.targets:
        if resolve(target.path).kwargs:
            prober.request(target.form.method, target.path,
                           {**target.base, CSRF_FIELD: prober.token},
                           multipart=target.form.sends_files, expect=frozenset({302, 404}),
                           may_save=False)

    assert len(holder_pages) >= 8
    assert prober.failures == [], prober.report()


def test_public_pages_and_their_forms_survive_hostile_values(shared):
    prober = Prober(browser(), None)
    badge = shared.world.holder.certifications.first().badge_id
    site = discover(prober, [reverse("home"), reverse("certifications:badge", args=[badge])])

    attack_forms(prober, site, shared.world.other_ids)
    attack_query_strings(prober, site, shared.world.other_ids)

    assert {_url_name(t.path) for t in site.targets} >= {
        "account_login", "account_signup", "account_reset_password"}
    assert prober.failures == [], prober.report()


def test_hostile_text_once_saved_shows_on_every_page(shared):
    """What the forms accept comes back on pages, transcripts and downloads."""
    holder = shared.world.holder
    texts = [v for v in ALL_AT_ONCE if isinstance(v, str) and v.strip() and "\x00" not in v]
    for i, text in enumerate(texts):
        EntryFactory(holder=holder, activity_date=date(2025, 4, 1 + i % 28),
                     title=text[:200], provider=text[:200], description=text)
    holder.full_name = UNICODE + FOR_TEXT[-1]
    holder.save()
    prober = shared.prober()

    for url in shared.site.visited:
        prober.request("get", url, expect=frozenset({200, 302}))

    assert prober.failures == [], prober.report()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_text_in_any_parameter_is_answered(shared, data):
    """A small random layer on top of the lists: any text, in any parameter found."""
    target = data.draw(st.sampled_from([t for t in shared.site.targets
                                        if set(t.names) - {CSRF_FIELD}]))
    name = data.draw(st.sampled_from(sorted(set(target.names) - {CSRF_FIELD})))
    value = data.draw(st.text(st.characters(exclude_categories=["Cs"]), max_size=40))
    prober = shared.prober()

    target.send(prober, {**target.base, name: value}, f"{name}={value!r}", ALLOWED_WITH_TOKEN)

    assert prober.failures == [], prober.report()


def test_withdraw_reason_with_nul_is_refused_without_a_server_error(shared):
    entry = Entry.objects.get(holder=shared.world.holder, title="Threat modelling")
    client = browser(shared.world.holder)

    response = client.post(reverse("submissions:entry_withdraw", args=[entry.pk]), {
        CSRF_FIELD: client.cookies["csrftoken"].value, "reason": "Logged\x00twice"})
    entry.refresh_from_db()
    withdrawal = EntryStateChange.objects.filter(entry=entry, to_state=EntryState.WITHDRAWN)

    assert response.status_code < 500
    assert (entry.state == EntryState.WITHDRAWN) == withdrawal.exists()
    assert all("\x00" not in change.reason for change in withdrawal)


# --- The admin: every changelist's filters and search, every bulk action's ids --------------------

# What staff could type or a crafted link could carry into a filter or a search: each
# parameter gets these one at a time, then every parameter of a changelist gets each of
# ADMIN_VALUES at once.
ADMIN_CORE: list[Value] = ["\x00", "a\x00b", UNICODE, "9" * 5000, "9223372036854775808", "x",
                           ["1", "\x00"]]
ADMIN_VALUES: list[Value] = [
    "\x00", "1\x00", "a\x00b", "%00",
    UNICODE, "\u202e", "🧑‍💻", "e" + "\u0301" * 500,
    "9223372036854775808", "-9223372036854775809", "9" * 30, "9" * 5000,
    "x", "²", "٣", "NaN", "1e400", "-1", "0", "1", "9999", "1.5", "",
    "9999-12-31", "0000-00-00", "2025-02-30",
    ["1", "\x00"],
]
# A bulk action's selection: nonsense ids, alone or beside a real one.
HOSTILE_IDS: list[Value] = [
    "\x00", "1\x00", "x", "²", "", UNICODE, "1.5", "-1", "9223372036854775808", "9" * 30,
    "9" * 5000, "00000000-0000-4000-8000-000000000000",
]
HOSTILE_SELECT_ACROSS = ["\x00", "yes", "2", "-1", UNICODE, "9" * 5000]
ADMIN_APPS = ("accounts", "activities", "certifications", "submissions", "appeals", "auth",
              "django_celery_beat")


def make_admin_world() -> User:
    """A row or more for every changelist: holders with certifications and years, entries in
    each state, a denial with its appeal, a Board meeting, an audit. Returns the superuser."""
    from appeals.models import BoardMeeting
    from appeals.services import file_appeal
    from certifications.services import ensure_certification_years
    from submissions.models import Denial
    from submissions.review import draw_audit_sample, reject_entry

    superuser = User.objects.create_superuser("ada@example.com", PASSWORD, full_name="Ada")
    add_totp(superuser)
    holder = make_world().holder
    certifications = list(holder.certifications.all())
    ensure_certification_years(today=date(2025, 6, 1), certifications=certifications)
    for state in EntryState:
        # After the audit's period: left as they are by its draw.
        EntryFactory(holder=holder, activity_date=date(2025, 6, 1), state=state,
                     title=f"An entry {state}")
    BoardMeeting.objects.create(meets_on=date(2025, 7, 1), location="Utrecht")
    pending = EntryFactory(holder=holder, activity_date=date(2025, 4, 3), title="Pending")
    reject_entry(entry=pending, by=superuser, reason="Not relevant", today=date(2025, 5, 30))
    file_appeal(denial=Denial.objects.get(entry=pending), by=holder, today=date(2025, 6, 1),
                rationale="It was relevant.")
    draw_audit_sample(period_start=date(2025, 1, 1), period_end=date(2025, 5, 31),
                      percent=Decimal("50"), seed="hostile", by=superuser,
                      today=date(2025, 6, 1))
    return superuser


@pytest.fixture
def admin_prober() -> Prober:
    """A superuser past the second factor, answered with a 500 instead of an exception."""
    superuser = make_admin_world()
    client = sign_in(Client(raise_request_exception=False), superuser)
    return Prober(client, superuser, app_labels=ADMIN_APPS)


def _changelists(user: User) -> Iterator[tuple[admin.ModelAdmin, str, ChangeList]]:
    """Each registered model admin, its changelist's URL, and the changelist as it opens."""
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        request = RequestFactory().get(url)
        request.user = user
        yield model_admin, url, model_admin.get_changelist_instance(request)


def _query_parameters(model_admin: admin.ModelAdmin, changelist: ChangeList) -> list[str]:
    """The query parameters a changelist reads: its filters' (as their specs name them), the
    date hierarchy's, the search, the ordering and the page."""
    names = [name for spec in changelist.filter_specs for name in spec.expected_parameters()]
    if changelist.date_hierarchy:
        names += [f"{changelist.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    if model_admin.get_search_fields(None):
        names.append(SEARCH_VAR)
    return [*names, ORDER_VAR, PAGE_VAR]


def test_admin_changelists_answer_hostile_filters_and_searches_without_a_server_error(
        admin_prober):
    attacked: dict[str, list[str]] = {}

    for model_admin, url, changelist in _changelists(admin_prober.user):
        names = _query_parameters(model_admin, changelist)
        attacked[str(model_admin.model._meta.label)] = names
        for name in names:
            for value in ADMIN_CORE:
                admin_prober.request("get", url, {name: value}, note=f"{name}={_label(value)}",
                                     may_save=False)
        for value in ADMIN_VALUES:
            admin_prober.request("get", url, dict.fromkeys(names, value),
                                 note=f"all={_label(value)}", may_save=False)
        admin_prober.request("get", url, raw_query="q=%00&e=1", note="NUL after an error",
                             may_save=False)

    # The filters named in the findings are among those attacked.
    assert {"state__exact", "q"} <= set(attacked["submissions.Entry"])
    assert {"state__exact", "denial__kind__exact"} <= set(attacked["appeals.Appeal"])
    assert "kind__exact" in attacked["submissions.Denial"]
    assert "status__exact" in attacked["certifications.Certification"]
    assert "state__exact" in attacked["certifications.CertificationYear"]
    assert admin_prober.failures == [], admin_prober.report()


@pytest.mark.parametrize(("url", "query"), [
    (reverse("admin:submissions_entry_changelist"), {"state__exact": "approved\x00"}),
    (reverse("admin:submissions_entry_changelist"), {"q": "Threat\x00modelling"}),
    (reverse("admin:appeals_appeal_changelist"), {"denial__kind__exact": "\x00"}),
    (reverse("admin:submissions_denial_changelist"), {"kind__exact": "\x00"}),
    (reverse("admin:certifications_certification_changelist"), {"status__exact": "\x00"}),
    (reverse("admin:certifications_certificationyear_changelist"), {"state__exact": "\x00"}),
    (reverse("admin:certifications_certificationyear_changelist"),
     {"deadline__year": "9999", "deadline__month": "12", "deadline__day": "31"}),
])
def test_admin_changelist_with_an_invalid_filter_shows_the_invalid_filter_page(
        admin_prober, url, query):
    response = admin_prober.request("get", url, query, may_save=False,
                                    expect=frozenset({302}))

    assert response["Location"] == f"{url}?{ERROR_FLAG}=1"
    assert admin_prober.failures == [], admin_prober.report()


def test_admin_page_other_than_a_changelist_answers_a_nul_in_its_query_with_400(admin_prober):
    # The admin world's entry: the newest of that title (the module's shared world may hold one).
    entry = Entry.objects.filter(title="Threat modelling").latest("pk")
    url = reverse("admin:submissions_entry_change", args=[entry.pk])

    response = admin_prober.request("get", url, {"_changelist_filters": "q=\x00"},
                                    may_save=False, expect=frozenset({400}))

    assert response.status_code == 400
    assert admin_prober.failures == [], admin_prober.report()


def _first_pk(model_admin: admin.ModelAdmin) -> str:
    return str(model_admin.model._default_manager.order_by("pk")
               .values_list("pk", flat=True).first() or 1)


def test_admin_bulk_actions_with_hostile_ids_change_nothing_and_answer_without_an_error(
        admin_prober):
    request = RequestFactory().post("/")
    request.user = admin_prober.user
    attacked = set()

    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        real = _first_pk(model_admin)
        for action in model_admin.get_actions(request):
            attacked.add(f"{model._meta.label}.{action}")
            post = {"action": action, "index": "0", "select_across": "0"}
            for ids in HOSTILE_IDS:
                for selected in (ids, [real, ids]):
                    admin_prober.request(
                        "post", url, {**post, ACTION_CHECKBOX_NAME: selected},
                        note=f"{action} of {_label(selected)}", may_save=False,
                        expect=frozenset({200, 302}))
            for across in HOSTILE_SELECT_ACROSS:
                admin_prober.request(
                    "post", url, {**post, ACTION_CHECKBOX_NAME: real, "select_across": across},
                    note=f"{action} across {_label(across)}", may_save=False,
                    expect=frozenset({200, 302}))
            # Without the index, as a page that posts a selection without its action bar.
            admin_prober.request("post", url, {"action": action, ACTION_CHECKBOX_NAME: "x\x00"},
                                 note=f"{action} without an index", may_save=False,
                                 expect=frozenset({200, 302}))

    assert {"submissions.Entry.approve_selected", "submissions.Entry.reject_selected",
            "accounts.User.send_invitations", "appeals.BoardMeeting.delete_selected"} <= attacked
    assert admin_prober.failures == [], admin_prober.report()


def test_admin_bulk_action_with_a_non_numeric_id_says_so_and_approves_nothing(admin_prober):
    entry = Entry.objects.get(title="An entry pending_approval")
    url = reverse("admin:submissions_entry_changelist")

    response = admin_prober.request("post", url, {
        "action": "approve_selected", "index": "0", "select_across": "0",
        ACTION_CHECKBOX_NAME: [str(entry.pk), "x"]}, may_save=False, expect=frozenset({302}))

    entry.refresh_from_db()
    assert entry.state == EntryState.PENDING_APPROVAL
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "The selection was not understood: select the rows again and choose the action."]
    assert admin_prober.failures == [], admin_prober.report()


def test_admin_bulk_action_with_select_across_nonsense_approves_nothing(admin_prober):
    waiting = set(Entry.objects.filter(state=EntryState.PENDING_APPROVAL)
                  .values_list("pk", flat=True))
    url = reverse("admin:submissions_entry_changelist")

    admin_prober.request("post", url, {
        "action": "approve_selected", "index": "0", "select_across": "yes",
        ACTION_CHECKBOX_NAME: str(min(waiting))}, may_save=False, expect=frozenset({302}))

    assert set(Entry.objects.filter(state=EntryState.PENDING_APPROVAL)
               .values_list("pk", flat=True)) == waiting
    assert admin_prober.failures == [], admin_prober.report()

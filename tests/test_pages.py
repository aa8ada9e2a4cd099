"""The public pages: the landing page, allauth's pages inside our base, and the headers and
markup the Content Security Policy depends on."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from .factories import UserFactory

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Element:
    def __init__(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tag = tag
        self.attrs = {name: value or "" for name, value in attrs}
        self.chunks: list[str] = []

    @property
    def text(self) -> str:
        return " ".join("".join(self.chunks).split())


class Page(HTMLParser):
    """Every element of a page with its attributes and text, and its table rows as text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[Element] = []
        self.rows: list[list[Element]] = []
        self._open: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, attrs)
        self.elements.append(element)
        if tag == "tr":
            self.rows.append([])
        elif tag in {"th", "td"}:
            self.rows[-1].append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop().tag != tag:
            pass

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.chunks.append(data)

    def find(self, tag: str, **attrs: str) -> list[Element]:
        """Elements of `tag` whose attributes equal these (`class_` for `class`)."""
        return [
            e for e in self.elements
            if e.tag == tag and all(e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())
        ]


def parse(response) -> Page:
    return Page(response.content.decode())


def test_home_lists_levels_with_their_requirements(client, db):
    page = parse(client.get("/"))

    rows = [(level.text, required.text) for level, required, _titles in page.rows[1:]]
    assert rows == [
        ("Foundation", "0"),
        ("Practitioner", "20"),
        ("Expert", "40"),
        ("Certified Officer", "40"),
    ]


def test_home_lists_soc_titles_under_practitioner(client, db):
    page = parse(client.get("/"))

    titles = {level.text: titles.text.split(", ") for level, _required, titles in page.rows[1:]}
    assert titles["Practitioner"] == ["BCP", "DPP", "EHP", "ISP", "ITSP", "SOC-CA", "SOC-LA"]


def test_home_anonymous_offers_sign_in_and_sign_up(client, db):
    response = client.get("/")

    page = parse(response)
    assert response.status_code == 200
    assert [(a.text, a.attrs["href"]) for a in page.find("a", class_="btn btn-primary btn-lg")] \
        == [("Sign in", reverse("account_login"))]
    assert [a.text for a in page.elements if a.attrs.get("href") == reverse("account_signup")] \
        == ["Sign up", "Create an account"]


def test_home_signed_in_welcomes_holder_by_name(client, holder):
    client.force_login(holder)

    page = parse(client.get("/"))

    assert [h.text for h in page.find("h1")] == ["Welcome, Hanna Holder"]
    assert [(f.attrs["method"], f.attrs["action"]) for f in page.find("form")] == [
        ("post", reverse("account_logout"))
    ]
    assert len(page.find("input", name="csrfmiddlewaretoken")) == 1
    assert page.find("a", href=reverse("admin:index")) == []


def test_home_staff_gets_admin_link(client, db):
    client.force_login(UserFactory(is_staff=True))

    page = parse(client.get("/"))

    assert [a.text for a in page.find("a", class_="nav-link", href=reverse("admin:index"))] \
        == ["Admin"]


def test_login_page_renders_in_our_base(client, db):
    response = client.get(reverse("account_login"))

    page = parse(response)
    assert response.status_code == 200
    assert [a.text for a in page.find("a", class_="navbar-brand")] == ["CPE Portal"]
    assert len(page.find("main", id="main")) == 1
    assert [t.text for t in page.find("title")] == ["Sign In · CPE Portal"]


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/accounts/signup/"])
def test_pages_send_security_headers(client, db, url):
    response = client.get(url)

    policy = response.headers["Content-Security-Policy"]
    assert response.status_code == 200
    assert "'unsafe-inline'" not in policy
    assert "script-src 'self'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_home_has_no_inline_style_or_script(client, db, signed_in):
    if signed_in:
        client.force_login(UserFactory(is_staff=True))

    page = parse(client.get("/"))

    assert [e.tag for e in page.elements if "style" in e.attrs] == []
    assert page.find("style") == []
    assert [s.text for s in page.find("script") if "src" not in s.attrs] == []
    assert [s.attrs["src"] for s in page.find("script")] == ["/static/js/has-js.js"]


def test_pages_link_our_icon_and_favicon_ico_leads_to_it(client, db):
    page = parse(client.get("/"))

    response = client.get("/favicon.ico")

    assert [(link.attrs["href"], link.attrs["type"]) for link in page.find("link", rel="icon")] \
        == [("/static/favicon.svg", "image/svg+xml")]
    assert (response.status_code, response["Location"]) == (302, "/static/favicon.svg")
    icon = client.get(response["Location"])
    assert (icon.status_code, icon["Content-Type"]) == (200, "image/svg+xml")

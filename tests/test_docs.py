"""The README is a front door: short, linking every page under docs/, and no link in the README
or the docs leads to a file or a heading that is not there."""

import re
from itertools import pairwise
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
MARKDOWN = MarkdownIt("commonmark").enable("table")


def _tokens(path: Path):
    """Every token of a Markdown file, inline children included (links in tables too)."""
    for token in MARKDOWN.parse(path.read_text(encoding="utf-8")):
        yield token
        yield from token.children or ()


def links(path: Path) -> list[str]:
    """The targets of the file's links and images; none inside code."""
    found = []
    for token in _tokens(path):
        if token.type == "link_open":
            found.append(str(token.attrs["href"]))
        elif token.type == "image":
            found.append(str(token.attrs["src"]))
    return found


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the file's headings: lower case, punctuation dropped, spaces
    as hyphens, a repeated one numbered."""
    tokens = MARKDOWN.parse(path.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    for opening, inline in pairwise(tokens):
        if opening.type != "heading_open":
            continue
        text = "".join(child.content for child in inline.children or ())
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        if count:
            seen[f"{slug}-{count}"] = 1
    return set(seen)


def test_the_readme_is_under_250_lines():
    assert len(README.read_text(encoding="utf-8").splitlines()) < 250


def test_the_readme_links_every_docs_page():
    assert DOCS, "docs/ holds no Markdown pages"
    linked = {(README.parent / unquote(urlsplit(href).path)).resolve()
              for href in links(README) if not urlsplit(href).scheme}
    missing = [page.name for page in DOCS if page.resolve() not in linked]
    assert not missing, f"README.md links none of {missing}"


def test_every_docs_page_links_back_to_the_readme():
    for page in DOCS:
        assert any(urlsplit(href).path == "../README.md" for href in links(page)), page.name


@pytest.mark.parametrize("source", [README, *DOCS], ids=lambda path: path.name)
def test_every_relative_link_reaches_its_file_and_heading(source):
    broken = []
    for href in links(source):
        target = urlsplit(href)
        if target.scheme or target.netloc:
            continue  # Another site: not ours to check.
        path = (source.parent / unquote(target.path)).resolve() if target.path else source
        if not path.exists():
            broken.append(f"{href}: no such file")
        elif target.fragment and path.suffix == ".md" and target.fragment not in anchors(path):
            broken.append(f"{href}: no such heading")
    assert not broken, f"{source.name}: {broken}"

"""What every journey test checks on each page it passes: axe-core finds no violation at all
(any impact, the admin's pages included), and nothing scrolls sideways at the viewport's width.

Journey tests run at both sizes the portal is made for: parametrize them with `SIZES` and open
their pages with the `sized_page` fixture; collect findings with the `checks` fixture."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SIZES = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])

_AXE = Axe()


def violations(page: Page) -> list[str]:
    """One line per axe-core violation on `page`: rule, impact and the offending nodes."""
    results = _AXE.run(page)
    return [
        f"{page.url} {violation['id']} ({violation['impact']}): {violation['help']} -> "
        + "; ".join(", ".join(node["target"]) for node in violation["nodes"])
        for violation in results.response["violations"]
    ]


def sideways(page: Page) -> list[str]:
    """The page, when its content is wider than the viewport (it would scroll sideways)."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]")
    return [f"{page.url} scrolls sideways: {widths[0]} px wide at {widths[1]} px"] \
        if widths[0] > widths[1] else []


class PageChecks:
    """Collects the findings of every page a journey passes; `assert_clean()` at the end."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def __call__(self, page: Page) -> None:
        page.wait_for_load_state("load")
        self.found += violations(page) + sideways(page)

    def assert_clean(self) -> None:
        assert self.found == [], "\n".join(self.found)

"""Tables and targets, printed as markdown."""

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    what: str
    passed: bool
    measured: str

    def line(self) -> str:
        return f"- {'PASS' if self.passed else 'FAIL'} {self.what}: {self.measured}"


def progress(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


def table(header: list[str], rows: list[list[str]], *, right_from: int = 1) -> str:
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = [header, align, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def ms(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def ratio(value: float) -> str:
    return f"{value:.2f}×"


def count(value: float) -> str:
    return f"{value:,.0f}"

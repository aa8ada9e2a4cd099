"""The pages benchmark: the dashboard and the entry list under load, for holders with 1, 1,000 and
10,000 entries, each page compared with a trivial signed-in page in the same run."""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from accounts.models import User

from . import wrk
from .data import HISTORY_MIX, PAGE_TITLES, Award, add_entries, make_holders
from .report import Target, count, ms, progress, ratio, table
from .server import HTTPS_HEADERS, Server, get, session_for, tail

SIZES = (1, 1_000, 10_000)
PAGES = (("trivial", "/bench/signed-in/"), ("dashboard", "/"), ("entry list", "/entries/"))
# Certified for three titles on different dates, the first a little over four years ago.
AWARDS = (Award(PAGE_TITLES[0], 4 * 365 + 40), Award(PAGE_TITLES[1], 2 * 365 + 200),
          Award(PAGE_TITLES[2], 365 + 90))
WITHIN_TRIVIAL = 3.0
# Rendered on every request, as on a holder's first view after a change of their records.
UNCACHED_WITHIN_TRIVIAL = 4.0
WITHIN_SMALLEST = 1.5
THREADS, CONNECTIONS, WARM_UP_SECONDS = 2, 8, 2


@dataclass(frozen=True)
class Measured:
    size: int
    page: str
    result: wrk.WrkResult


def make_data(*, today: date) -> dict[int, User]:
    """One holder per size, all certified alike; entries over their whole history."""
    holders = {}
    first_award = today - timedelta(days=AWARDS[0].days_ago)
    for size in SIZES:
        [holder] = make_holders(1, prefix=f"pages-{size}-", awards=AWARDS, today=today)
        add_entries([holder], size, since=first_award, today=today, mix=HISTORY_MIX,
                    mixed_states=True, seed=size)
        holders[size] = holder
    return holders


def _label(size: int) -> str:
    return f"{size:,} {'entry' if size == 1 else 'entries'}"


def run(*, holders: dict[int, User], environment: dict[str, str], log: Path,
        seconds: float, heading: str = "Pages", within_trivial: float = WITHIN_TRIVIAL,
        judged: str = "") -> tuple[str, list[Target]]:
    """The pages under load, and their targets: each page's p50 within `within_trivial` times
    the trivial page's, and no growth with entries. `judged` names the run in the targets."""
    measured: list[Measured] = []
    with Server(environment=environment, log=log) as server:
        for size, holder in holders.items():
            cookie = session_for(holder)
            for page, path in PAGES:
                url = server.url + path
                status, _headers, body = get(url, cookies={"sessionid": cookie})
                signed_in = body == "ok" if page == "trivial" else holder.full_name in body
                if status != 200 or not signed_in:
                    raise RuntimeError(f"{path} as {holder.email}: {status}, not the signed-in "
                                       f"page:\n{body[:2000]}\n{tail(log)}")
                options = {"threads": THREADS, "connections": CONNECTIONS,
                           "headers": {"Cookie": f"sessionid={cookie}", **HTTPS_HEADERS}}
                progress(f"pages: {_label(size)}, {page} ({seconds:g} s)")
                wrk.run(url, seconds=WARM_UP_SECONDS, **options)
                measured.append(Measured(size, page, wrk.run(url, seconds=seconds, **options)))
        server_log = tail(log)
    return _report(measured, seconds=seconds, server_log=server_log, heading=heading,
                   within_trivial=within_trivial, judged=judged)


def _report(measured: list[Measured], *, seconds: float, server_log: str, heading: str,
            within_trivial: float, judged: str) -> tuple[str, list[Target]]:
    by = {(m.size, m.page): m.result for m in measured}
    smallest = SIZES[0]
    rows = []
    for m in measured:
        p50 = m.result.p50_ms
        rows.append([
            _label(m.size), m.page, count(m.result.requests_per_second), ms(p50),
            ms(m.result.p99_ms), m.result.describe_errors(),
            ratio(p50 / by[m.size, "trivial"].p50_ms),
            ratio(p50 / by[smallest, m.page].p50_ms),
        ])
    text = table(["holder", "page", "req/s", "p50 ms", "p99 ms", "errors", "p50 ÷ trivial",
                  f"p50 ÷ {_label(smallest)}"], rows, right_from=2)
    text = f"### {heading} (wrk -t{THREADS} -c{CONNECTIONS} -d{seconds:g}s)\n\n{text}\n"

    targets = []
    for size in SIZES:
        for page in ("dashboard", "entry list"):
            share = by[size, page].p50_ms / by[size, "trivial"].p50_ms
            targets.append(Target(
                f"{page}{judged} p50 within {within_trivial:g}× the trivial page, "
                f"{_label(size)}", share <= within_trivial, ratio(share)))
    largest = SIZES[-1]
    for page in ("dashboard", "entry list"):
        growth = by[largest, page].p50_ms / by[smallest, page].p50_ms
        targets.append(Target(
            f"{page}{judged} p50 for {_label(largest)} within {WITHIN_SMALLEST:g}× "
            f"{_label(smallest)}",
            growth <= WITHIN_SMALLEST, ratio(growth)))
    errors = sum(m.result.errors for m in measured)
    targets.append(Target(f"no errors on the pages{judged} (non-2xx/3xx, socket errors, "
                          "timeouts)",
                          errors == 0, f"{errors} errors"))
    if errors:
        text += f"\nServer log, last lines:\n\n```\n{server_log}\n```\n"
    return text, targets

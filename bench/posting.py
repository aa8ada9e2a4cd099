"""The logging benchmark: `POST /entries/new/` under load through the real server, as holders'
browsers send it, and whether the time to log grows with the entries a holder already has."""

import re
import secrets
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from accounts.models import User
from activities.models import ActivityType
from certifications.models import Certification
from submissions.models import Entry

from . import wrk
from .data import LOGGING_TITLES, UNCAPPED_MIX, Award, add_entries, make_holders
from .report import Target, count, ms, progress, ratio, table
from .server import HTTPS_HEADERS, Server, get, session_for, tail

SCRIPT = Path(__file__).with_name("post_entries.lua")
URL_PATH = "/entries/new/"
# The activity every request logs: per hour, uncapped, a quarter hour at a time.
ACTIVITY_TYPE = "other-course"
MANY = 200
# Holders rotated over in each of the two single-connection runs; each gains a few dozen
# entries during its run.
COMPARED = 10
HISTORY = 20
COUNTING = 1_000
# Two certifications whose current years began about 200 and 100 days ago.
AWARDS = (Award(LOGGING_TITLES[0], 3 * 365 + 200), Award(LOGGING_TITLES[1], 365 + 100))
MIN_ENTRIES_PER_SECOND = 100
WITHIN_EMPTY = 1.5
WARM_UP_SECONDS = 2


@dataclass(frozen=True)
class Posted:
    label: str
    holders: int
    threads: int
    connections: int
    result: wrk.WrkResult
    created: int

    def number(self, name: str) -> int:
        return int(self.result.script.get(name, 0))

    @property
    def saved(self) -> int:
        return self.number("saved")

    @property
    def in_flight(self) -> int:
        """Requests wrk sent but stopped waiting for when its time was up; the server still
        answers them."""
        return self.number("sent") - self.number("answered")

    @property
    def errors(self) -> int:
        return self.number("failed") + self.result.socket_errors + self.result.timeouts

    def describe_errors(self) -> str:
        kinds = [(self.number("failed"), "not 302"), (self.result.socket_errors, "socket"),
                 (self.result.timeouts, "timeouts")]
        named = ", ".join(f"{number} {kind}" for number, kind in kinds if number)
        return f"{self.errors} ({named})" if named else "0"

    @property
    def per_second(self) -> float:
        return self.saved / self.result.seconds


def _current_years_start(holder: User, today: date) -> date:
    return max(c.year_containing(today).starts_on
               for c in Certification.objects.filter(holder=holder))


def make_data(*, today: date) -> dict[str, list[User]]:
    """Holders to rotate over, each with some history in the current years; and two groups
    certified alike, one with no entries and one with `COUNTING` counting entries in the
    current certification years."""
    many = make_holders(MANY, prefix="logging-", awards=AWARDS, today=today)
    since = _current_years_start(many[0], today)
    add_entries(many, HISTORY, since=since, today=today, mix=UNCAPPED_MIX, mixed_states=True,
                seed=7)
    empty = make_holders(COMPARED, prefix="logging-none-", awards=AWARDS, today=today)
    full = make_holders(COMPARED, prefix="logging-1000-", awards=AWARDS, today=today)
    add_entries(full, COUNTING, since=since, today=today, mix=UNCAPPED_MIX, mixed_states=False,
                seed=8)
    return {"many": many, "empty": empty, "full": full}


def _holders_file(server: Server, holders: list[User], path: Path) -> Path:
    """Per holder a session, and the CSRF cookie and form token the log form hands out."""
    lines = []
    for holder in holders:
        session = session_for(holder)
        status, headers, body = get(server.url + URL_PATH, cookies={"sessionid": session})
        cookie = re.search(r"csrftoken=([^;]+)", " ".join(headers.get("set-cookie", [])))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or cookie is None or token is None:
            raise RuntimeError(f"{URL_PATH} as {holder.email}: {status}, no form:\n{body[:2000]}")
        lines.append(f"{session} {cookie[1]} {token[1]}\n")
    path.write_text("".join(lines))
    return path


def _entries_of(holders: list[User]) -> int:
    """The holders' entries once the server has finished what it was still answering."""
    last, steady_since = -1, time.monotonic()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        now = Entry.objects.filter(holder__in=holders).count()
        if now != last:
            last, steady_since = now, time.monotonic()
        elif time.monotonic() - steady_since >= 0.5:
            break
        time.sleep(0.1)
    return last


def _post(label: str, server: Server, holders: list[User], holders_file: Path, *,
          threads: int, connections: int, seconds: float, activity_type: int,
          today: date) -> Posted:
    before = _entries_of(holders)
    result = wrk.run(
        server.url + URL_PATH, threads=threads, connections=connections, seconds=seconds,
        headers={}, script=SCRIPT,
        script_args=[str(holders_file), str(activity_type), today.isoformat(), str(threads),
                     str(secrets.randbelow(2**31))],
    )
    return Posted(label, len(holders), threads, connections, result,
                  _entries_of(holders) - before)


def run(*, groups: dict[str, list[User]], environment: dict[str, str], log: Path,
        workdir: Path, seconds: float, today: date) -> tuple[str, list[Target]]:
    activity_type = ActivityType.objects.get(code=ACTIVITY_TYPE).pk
    with Server(environment=environment, log=log) as server:
        progress("logging: CSRF tokens from the log form")
        files = {name: _holders_file(server, holders, workdir / f"holders-{name}.txt")
                 for name, holders in groups.items()}
        cookie = files["many"].read_text().split(" ", 1)[0]
        trivial = server.url + "/bench/signed-in/"
        get_headers = {"Cookie": f"sessionid={cookie}", **HTTPS_HEADERS}
        post = {"server": server, "activity_type": activity_type, "today": today}

        progress(f"logging: {MANY} holders, -t2 -c8 ({seconds:g} s)")
        wrk.run(trivial, threads=2, connections=8, seconds=WARM_UP_SECONDS, headers=get_headers)
        trivial_many = wrk.run(trivial, threads=2, connections=8, seconds=seconds,
                               headers=get_headers)
        warm_up = _post("warm-up", holders=groups["many"], holders_file=files["many"],
                        threads=2, connections=8, seconds=WARM_UP_SECONDS, **post)
        many = _post(f"log an activity, {MANY} holders", holders=groups["many"],
                     holders_file=files["many"], threads=2, connections=8, seconds=seconds,
                     **post)

        progress(f"logging: holders with none and with {COUNTING:,} entries, -t1 -c1 "
                 f"({seconds:g} s each)")
        trivial_one = wrk.run(trivial, threads=1, connections=1, seconds=seconds,
                              headers=get_headers)
        empty = _post("log an activity, no entries before", holders=groups["empty"],
                      holders_file=files["empty"], threads=1, connections=1, seconds=seconds,
                      **post)
        full = _post(f"log an activity, {COUNTING:,} counting entries in the year",
                     holders=groups["full"], holders_file=files["full"], threads=1,
                     connections=1, seconds=seconds, **post)
        server_log = tail(log)
    return _report([warm_up, many, empty, full], trivial_many, trivial_one,
                   seconds=seconds, server_log=server_log)


def _report(runs: list[Posted], trivial_many: wrk.WrkResult, trivial_one: wrk.WrkResult, *,
            seconds: float, server_log: str) -> tuple[str, list[Target]]:
    _warm_up, many, empty, full = runs

    def trivial_row(result: wrk.WrkResult, holders: str, threads: int, connections: int
                    ) -> list[str]:
        return ["trivial signed-in GET", holders, f"-t{threads} -c{connections}", "—",
                count(result.requests_per_second), ms(result.p50_ms), ms(result.p99_ms),
                result.describe_errors(), "1.00×"]

    def post_row(posted: Posted, baseline: wrk.WrkResult) -> list[str]:
        return [posted.label, str(posted.holders), f"-t{posted.threads} -c{posted.connections}",
                count(posted.saved), count(posted.per_second), ms(posted.result.p50_ms),
                ms(posted.result.p99_ms), posted.describe_errors(),
                ratio(posted.result.p50_ms / baseline.p50_ms)]

    text = table(
        ["run", "holders", "wrk", "entries saved (302)", "entries/s or req/s", "p50 ms",
         "p99 ms", "errors", "p50 ÷ trivial GET"],
        [trivial_row(trivial_many, "1", 2, 8), post_row(many, trivial_many),
         trivial_row(trivial_one, "1", 1, 1), post_row(empty, trivial_one),
         post_row(full, trivial_one)],
        right_from=3,
    )
    text = f"### Logging an activity (POST {URL_PATH}, -d{seconds:g}s)\n\n{text}\n"

    growth = full.result.p50_ms / empty.result.p50_ms
    errors = sum(p.errors for p in runs) + trivial_many.errors + trivial_one.errors
    consistent = [p for p in runs if p.created == p.saved + p.in_flight]
    targets = [
        Target(f"at least {MIN_ENTRIES_PER_SECOND} entries/s over {MANY} holders",
               many.per_second >= MIN_ENTRIES_PER_SECOND, f"{many.per_second:.0f}/s"),
        Target(f"p50 with {COUNTING:,} counting entries within {WITHIN_EMPTY:g}× no entries",
               growth <= WITHIN_EMPTY, ratio(growth)),
        Target("no errors while logging (anything but a 302 to the new entry, socket errors, "
               "timeouts)", errors == 0, f"{errors} errors"),
        Target("entries created = 302 answers (+ requests wrk left unanswered at its end)",
               len(consistent) == len(runs),
               "; ".join(f"{p.label}: {p.created} = {p.saved} + {p.in_flight}"
                         if p in consistent else
                         f"{p.label}: {p.created} ≠ {p.saved} + {p.in_flight}" for p in runs)),
    ]
    failure = next((p for p in runs if "failure_status" in p.result.script), None)
    if failure is not None:
        text += (f"\nA failed answer ({failure.label}): "
                 f"{failure.result.script['failure_status']}\n\n"
                 f"```\n{failure.result.script.get('failure_body', '')}\n```\n")
    if errors:
        text += f"\nServer log, last lines:\n\n```\n{server_log}\n```\n"
    return text, targets

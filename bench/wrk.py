"""Running wrk and reading what it prints."""

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
DURATION = r"([\d.]+)(us|ms|s|m|h)"
LUA_MARK = "bench:"


def ensure_wrk() -> str:
    """The wrk executable; installed from Debian's package when missing (saying so)."""
    found = shutil.which("wrk")
    if found:
        return found
    command = ["apt-get", "install", "-y", "wrk"]
    if shutil.which("apt-get") is None:
        sys.exit("wrk is not installed and there is no apt-get to install it with.")
    print(f"wrk is not installed; running: {' '.join(command)}", file=sys.stderr, flush=True)
    subprocess.run(command, check=True)
    found = shutil.which("wrk")
    if not found:
        sys.exit("apt-get did not install wrk.")
    return found


def _ms(value: str, unit: str) -> float:
    return float(value) * UNITS[unit]


@dataclass
class WrkResult:
    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    # Answers outside 2xx/3xx, socket errors (connect, read, write) and timeouts (over 2 s).
    bad_status: int
    socket_errors: int
    timeouts: int
    output: str
    # What a script reported with `bench:` lines (name value).
    script: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return self.bad_status + self.socket_errors + self.timeouts

    def describe_errors(self) -> str:
        """The number of errors, and of what kind when there are any."""
        kinds = [(self.bad_status, "status"), (self.socket_errors, "socket"),
                 (self.timeouts, "timeouts")]
        named = ", ".join(f"{number} {kind}" for number, kind in kinds if number)
        return f"{self.errors} ({named})" if named else "0"


def parse(output: str) -> WrkResult:
    def need(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise ValueError(f"wrk printed no {pattern!r}:\n{output}")
        return match

    p50, p99 = need(rf"^\s+50%\s+{DURATION}\s*$"), need(rf"^\s+99%\s+{DURATION}\s*$")
    total = need(rf"^\s+(\d+) requests in {DURATION},")
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        output)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    script = dict(
        line[len(LUA_MARK):].strip().split(" ", 1) for line in output.splitlines()
        if line.startswith(LUA_MARK) and " " in line[len(LUA_MARK):].strip()
    )
    return WrkResult(
        requests=int(total[1]),
        seconds=_ms(total[2], total[3]) / 1000,
        requests_per_second=float(need(r"^Requests/sec:\s+([\d.]+)")[1]),
        p50_ms=_ms(p50[1], p50[2]),
        p99_ms=_ms(p99[1], p99[2]),
        bad_status=int(bad[1]) if bad else 0,
        socket_errors=sum(int(n) for n in sockets.groups()[:3]) if sockets else 0,
        timeouts=int(sockets[4]) if sockets else 0,
        output=output,
        script=script,
    )


def run(url: str, *, threads: int, connections: int, seconds: float,
        headers: dict[str, str], script: Path | None = None,
        script_args: list[str] | None = None) -> WrkResult:
    command = [ensure_wrk(), f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return parse(done.stdout)

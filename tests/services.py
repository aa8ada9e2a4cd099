"""Services a test starts and stops on its own: a PostgreSQL cluster, a redis-server and the
portal under gunicorn, each on a free loopback port, gone when the test ends. In CI
(`CI=true`) a missing server program fails the test instead of skipping it."""

import ctypes
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import NoReturn

import pytest
import redis
from jwcrypto.jwk import JWK

ROOT = Path(__file__).resolve().parent.parent


def missing(reason: str) -> NoReturn:
    """A server program or the browser a test needs is not here: the test is skipped on a
    developer's machine and fails in CI, where a missing service is a broken pipeline."""
    pytest.fail(f"CI: {reason}") if os.environ.get("CI") == "true" else pytest.skip(reason)


def require(program: str | None, what: str) -> str:
    if program is None:
        missing(f"{what} is not installed")
    return program


# Looked up here, not in the child: a child forked beside other threads (the test's SMTP server)
# should do as little as it can before it runs its program.
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl
_PR_SET_PDEATHSIG = 1


def _die_with_the_test() -> None:
    """In a child process before it runs its program: be sent SIGTERM when the test process
    dies, so that no server or worker outlives an interrupted run and goes on writing to a
    database a later run reuses (Linux' PR_SET_PDEATHSIG)."""
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


def credential_keys() -> str:
    """CPE_CREDENTIAL_KEYS of one new Ed25519 key, as the production settings require."""
    key = JWK.generate(kty="OKP", crv="Ed25519")
    return json.dumps({"keys": [key.export_private(as_dict=True)]})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(ready: callable, what: str, seconds: float = 20) -> None:  # type: ignore[valid-type]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up")


class RedisServer:
    """A redis-server on a free port, without persistence."""

    def __init__(self) -> None:
        self.executable = require(shutil.which("redis-server"), "redis-server")
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=1).ping())
        except redis.ConnectionError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 — the installed redis-server, fixed arguments
            [self.executable, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._answers, f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


class PostgresCluster:
    """A PostgreSQL cluster of its own in a temporary folder (initdb, pg_ctl), trust auth for
    `postgres` on 127.0.0.1. PostgreSQL refuses to run as root: as root it runs as the
    `postgres` system user."""

    def __init__(self) -> None:
        programs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                          key=lambda path: int(Path(path).parent.parent.name))
        initdb = require(programs[-1] if programs else shutil.which("initdb"), "initdb")
        self.bin = Path(initdb).parent
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="cpe-pg-"))
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.folder, self.user)
        self.data = self.folder / "data"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run(args, check=True, user=self.user, stdout=subprocess.DEVNULL,  # noqa: S603
                       stderr=subprocess.PIPE, cwd=self.folder)

    def init(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "--no-sync")

    def start(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-l",
                  str(self.folder / "log"), "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off",
                  "start")

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-m", "fast", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class Portal:
    """The portal under gunicorn (one worker unless told) with the production settings and
    `environment`, its log (stderr) in `log`."""

    def __init__(self, environment: dict[str, str], log: Path, workers: int = 1) -> None:
        self.port = free_port()
        self.workers = workers
        self.log = log
        self.environment = {
            **os.environ, "DJANGO_SETTINGS_MODULE": "cpe_portal.settings.production",
            "SECRET_KEY": "a-test-secret-key-that-is-long-enough-for-the-checks-0123456789",
            "ALLOWED_HOSTS": "127.0.0.1", "CPE_SITE_URL": self.url,
            "CPE_CREDENTIAL_KEYS": credential_keys(), **environment}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 — our own server, fixed arguments
                [sys.executable, "-m", "gunicorn", "cpe_portal.wsgi", "--bind",
                 f"127.0.0.1:{self.port}", "--workers", str(self.workers), "--no-control-socket"],
                cwd=ROOT, env=self.environment, stdout=log, stderr=log,
                preexec_fn=_die_with_the_test)
        wait_for(lambda: self.process.poll() is None and self._answers(), "gunicorn", 30)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 — loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


class CeleryProcess:
    """A Celery worker or beat of the portal (`celery -A cpe_portal ARGS…`) as a subprocess in a
    process group of its own, with `environment`, its output in `log`. `kill` is SIGKILL to the
    whole group (the worker and its pool's children at once, as the OOM killer or `docker kill`
    would); `stop` asks politely first."""

    def __init__(self, args: list[str], environment: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as output:
            self.process = subprocess.Popen(  # noqa: S603 — our own programs, fixed arguments
                [sys.executable, "-m", "celery", "-A", "cpe_portal", *args],
                cwd=ROOT, env=environment, stdout=output, stderr=output,
                start_new_session=True, preexec_fn=_die_with_the_test)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def text(self) -> str:
        return self.log.read_text(errors="replace")

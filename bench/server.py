"""The portal served by gunicorn as in production, on a free loopback port, for wrk to load."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from types import TracebackType

from django.conf import settings
from django.test import Client

from accounts.models import User

WORKERS = 2
# Production settings over plain HTTP on loopback: a proxy would have said HTTPS.
HTTPS_HEADERS = {"X-Forwarded-Proto": "https"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def session_for(holder: User) -> str:
    """A signed-in session for `holder`, as the value of the session cookie."""
    client = Client()
    client.force_login(holder)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def staff_session_for(staff: User) -> str:
    """A signed-in session for a staff member that passed two-factor sign-in, as the admin
    requires: a TOTP authenticator, and the mark allauth leaves in the session once a code was
    entered."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.test import RequestFactory

    authenticator = (Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP)
                     .first() or TOTP.activate(staff, generate_totp_secret()).instance)
    client = Client()
    client.force_login(staff)
    request = RequestFactory().get("/")
    request.session, request.user = client.session, staff
    record_authentication(request, staff, "mfa", id=authenticator.pk, type=authenticator.type)
    request.session.save()
    return request.session.session_key


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def get(url: str, *, cookies: dict[str, str]) -> tuple[int, dict[str, list[str]], str]:
    """One GET without following redirects: status, headers (a list per name), body."""
    headers = {**HTTPS_HEADERS,
               "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http on loopback)
    try:
        with _opener.open(request, timeout=30) as response:
            status, message, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, message, body = error.code, error.headers, error.read()
    by_name: dict[str, list[str]] = {}
    for name, value in message.items():
        by_name.setdefault(name.lower(), []).append(value)
    return status, by_name, body.decode("utf-8", "replace")


class Server:
    """gunicorn with `WORKERS` sync workers and the environment given on top of ours."""

    def __init__(self, *, environment: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # A fresh benchmark database numbers its holders from 1 again: a cache of its own, so
        # that no page cached by an earlier run (or server) is served.
        self.environment = {**os.environ, "CACHE_KEY_PREFIX": f"bench-{uuid.uuid4().hex}",
                            **environment}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Server":
        command = [
            sys.executable, "-m", "gunicorn", "cpe_portal.wsgi:application",
            "--workers", str(WORKERS), "--bind", f"127.0.0.1:{self.port}",
            "--chdir", str(settings.BASE_DIR), "--no-control-socket",
        ]
        with self.log.open("ab") as log:
            # Django's own log (a 500's traceback) goes to stderr, next to gunicorn's.
            self.process = subprocess.Popen(command, env=self.environment, stdout=log,
                                            stderr=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped:\n{self.log.read_text()}")
            try:
                if get(f"{self.url}/healthz/", cookies={})[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer in 60 s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

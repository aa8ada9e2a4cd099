"""`/readyz` answers 200 only while PostgreSQL, Redis and the private storage can be used, and
503 naming the check that failed otherwise, without a host, port, path or error; `/healthz`
stays the liveness check that touches nothing."""

import json
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from common.observability import answer_within
from cpe_portal.settings import base as base_settings

from .services import Portal, PostgresCluster, get


@pytest.fixture
def private_folder(settings, tmp_path) -> Path:
    """An empty private folder of this test's own (the run's shared one holds other tests'
    files), which the private storage follows."""
    folder = tmp_path / "private"
    folder.mkdir()
    settings.STORAGES = {**settings.STORAGES, "private": {
        **settings.STORAGES["private"],
        "OPTIONS": {**settings.STORAGES["private"]["OPTIONS"], "location": folder}}}
    return folder


@pytest.mark.django_db
def test_readyz_answers_200_naming_each_check_when_everything_is_up(client, settings,
                                                                     private_folder):
    settings.CACHES = {"default": {**base_settings.CACHES["default"],
                                   "BACKEND": "common.cache.ResilientRedisCache",
                                   "LOCATION": settings.REDIS_URL}}

    response = client.get("/readyz/")

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "broker": "ok",
                               "storage": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_answers_503_naming_a_missing_private_folder(client, private_folder):
    private_folder.rmdir()

    response = client.get("/readyz/")

    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "ok", "storage": "failing"}


# --- The portal under gunicorn, on services of the test's own --------------------------------


@pytest.fixture
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def portal(postgres, redis_server, tmp_path) -> Iterator[Portal]:
    (tmp_path / "private").mkdir()
    server = Portal({"DATABASE_URL": postgres.url, "REDIS_URL": redis_server.url,
                     "PRIVATE_MEDIA_ROOT": str(tmp_path / "private")}, log=tmp_path / "log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


ALL_OK = {"database": "ok", "cache": "ok", "broker": "ok", "storage": "ok"}


def readyz(portal: Portal) -> tuple[int, dict[str, str], bytes]:
    status, body, _headers = get(f"{portal.url}/readyz/")
    return status, json.loads(body), body


def test_readyz_answers_503_while_each_dependency_is_down_and_200_once_it_is_back(
        portal, postgres, redis_server, tmp_path):
    private = tmp_path / "private"
    # Plain HTTP, as a probe inside the network calls it: no redirect to HTTPS.
    assert readyz(portal)[:2] == (200, ALL_OK)

    postgres.stop()
    status, checks, body = readyz(portal)
    assert (status, checks) == (503, {**ALL_OK, "database": "failing"})
    assert str(postgres.port).encode() not in body
    postgres.start()
    assert readyz(portal)[:2] == (200, ALL_OK)

    redis_server.stop()
    status, checks, body = readyz(portal)
    assert (status, checks) == (503, {**ALL_OK, "cache": "failing", "broker": "failing"})
    assert str(redis_server.port).encode() not in body
    redis_server.start()
    assert readyz(portal)[:2] == (200, ALL_OK)

    shutil.move(private, tmp_path / "unmounted")
    status, checks, body = readyz(portal)
    assert (status, checks) == (503, {**ALL_OK, "storage": "failing"})
    assert b"private" not in body
    shutil.move(tmp_path / "unmounted", private)
    assert readyz(portal)[:2] == (200, ALL_OK)

    # Liveness never asks the services.
    postgres.stop()
    assert get(f"{portal.url}/healthz/")[:2] == (200, b"ok")


def test_each_request_has_one_json_log_line_with_its_id_echoed(portal):
    status, _body, headers = get(f"{portal.url}/healthz/?email=hanna@example.com",
                                 {"X-Request-ID": "probe-0123456789abcdef"})
    _status, _body, generated = get(f"{portal.url}/healthz/",
                                    {"X-Request-ID": "bad id \"quoted\" {}"})
    portal.stop()  # The log is complete.

    assert status == 200
    assert headers["X-Request-ID"] == "probe-0123456789abcdef"
    lines = [json.loads(line) for line in portal.log.read_text().splitlines()
             if line.startswith("{")]
    requests = [line for line in lines if line["logger"] == "cpe_portal.requests"]
    assert len(requests) == 2
    first, second = requests
    assert {key: first[key] for key in ("request_id", "user_id", "method", "path", "status",
                                        "view")} == {
        "request_id": "probe-0123456789abcdef", "user_id": None, "method": "GET",
        "path": "/healthz/", "status": 200, "view": "healthz"}
    assert first["duration_ms"] >= 0
    assert "example.com" not in portal.log.read_text()
    # An id that is not a sane token is replaced by one of the portal's own.
    assert second["request_id"] == generated["X-Request-ID"]
    assert len(second["request_id"]) == 32


# --- A service that takes the connection and never answers ----------------------------------


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port whose listener takes connections and never reads or answers: a host
    that hangs (a stopped process, a firewall that drops the replies)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        yield listener.getsockname()[1]


HUNG = {
    "database": lambda port: {"DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/cpe"},
    "redis": lambda port: {"REDIS_URL": f"redis://127.0.0.1:{port}/0"},
    "storage": lambda port: {"PRIVATE_STORAGE_BUCKET": "proof",
                             "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                             "AWS_ACCESS_KEY_ID": "probe", "AWS_SECRET_ACCESS_KEY": "probe"},
}
FAILING = {"database": {"database"}, "redis": {"cache", "broker"}, "storage": {"storage"}}
# A probe's own timeout is a few seconds (Kubernetes' default: 1 s, often raised to 5).
PROBE_SECONDS = 5.0


@pytest.mark.django_db
@pytest.mark.parametrize("hung", sorted(HUNG))
def test_readyz_answers_503_within_seconds_when_a_service_takes_the_connection_and_hangs(
        hung, silent_port, redis_server, tmp_path):
    (tmp_path / "private").mkdir()
    database = connection.settings_dict
    environment = {
        "DATABASE_URL": (f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
                         f"{database['PORT'] or 5432}/{database['NAME']}"),
        "REDIS_URL": redis_server.url, "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        **HUNG[hung](silent_port)}
    portal = Portal(environment, log=tmp_path / "log")
    portal.start()
    try:
        # A probe asks again and again; the first answer also loads what the checks use (the
        # S3 client: a second of CPU on a busy machine), so the second one is timed.
        assert readyz(portal)[0] == 503
        started = time.monotonic()
        status, checks, body = readyz(portal)
        took = time.monotonic() - started
    finally:
        portal.stop()

    print(f"/readyz with the {hung} hanging: {status} in {took:.2f} s")
    assert status == 503
    assert {name for name, state in checks.items() if state == "failing"} == FAILING[hung]
    assert str(silent_port).encode() not in body
    assert took < PROBE_SECONDS


@pytest.mark.django_db
def test_the_database_check_waits_for_an_answer_only_so_long():
    probe = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    try:
        answer_within(probe, "SELECT 1", seconds=2)
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            answer_within(probe, "SELECT pg_sleep(5)", seconds=0.3)
        assert time.monotonic() - started < 2
    finally:
        probe.close()
    probe = psycopg.connect(**connection.get_connection_params(), autocommit=True)
    try:
        with pytest.raises(psycopg.OperationalError, match="no_such_table"):
            answer_within(probe, "SELECT * FROM no_such_table", seconds=2)
    finally:
        probe.close()

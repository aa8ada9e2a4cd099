"""`/readyz` answers 200 only while PostgreSQL, Redis and the private storage can be used, and
503 naming the check that failed otherwise, without a host, port, path or error; `/healthz`
stays the liveness check that touches nothing."""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cpe_portal.settings import base as base_settings

from .services import Portal, PostgresCluster, RedisServer, get


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
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


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

"""What operators see: the request and job log lines, `/metrics` for Prometheus (and who may
read it), and errors sent to Sentry when a DSN is set."""

import gzip
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from celery import Celery
from django.db import connection
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from pythonjsonlogger.json import JsonFormatter

from accounts.daily import once_a_day
from accounts.models import DailyRun, OutboxMessage
from accounts.outbox import Mail, queue_mails
from accounts.pending import queue_job
from accounts.tasks import deliver_mails
from cpe_portal.settings import base as base_settings
from tests.factories import UserFactory
from tests.services import ROOT, Portal, RedisServer, credential_keys, get


def as_json(record: logging.LogRecord) -> dict[str, object]:
    """The record as the production log writes it."""
    options = {"fmt" if key == "format" else key: value  # As logging.config passes them.
               for key, value in base_settings.LOGGING["formatters"]["json"].items()
               if key != "()"}
    line = JsonFormatter(**options).format(record)
    assert "\n" not in line
    return json.loads(line)


# --- Request and job log -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_in_request_logs_the_user_id_and_never_the_email(client, caplog):
    holder = UserFactory(email="hanna@example.com")
    client.force_login(holder)
    caplog.set_level(logging.INFO, logger="cpe_portal.requests")

    response = client.get("/?next=hanna@example.com", HTTP_X_REQUEST_ID="lb-1234567890")

    assert response.status_code == 200
    assert response["X-Request-ID"] == "lb-1234567890"
    [record] = [r for r in caplog.records if r.name == "cpe_portal.requests"]
    line = as_json(record)
    assert {key: line[key] for key in ("request_id", "user_id", "method", "path", "status",
                                       "view")} == {
        "request_id": "lb-1234567890", "user_id": holder.pk, "method": "GET", "path": "/",
        "status": 200, "view": "home"}
    assert "example.com" not in json.dumps(line)


@pytest.mark.django_db
def test_a_password_reset_key_is_kept_out_of_the_logged_path(client, caplog):
    caplog.set_level(logging.INFO, logger="cpe_portal.requests")

    client.get("/accounts/password/reset/key/1a-secretkey123/")

    [record] = [r for r in caplog.records if r.name == "cpe_portal.requests"]
    assert "secretkey123" not in as_json(record)["path"]


@pytest.mark.django_db
def test_each_task_run_logs_one_job_line_with_its_batch_and_rows(caplog):
    holder = UserFactory(email="piet@example.com")
    ids = [OutboxMessage.objects.create(recipient=holder, to=holder.email, kind="note",
                                        subject="Hello", body_text="Hello").pk
           for _ in range(2)]
    caplog.set_level(logging.INFO, logger="cpe_portal.jobs")

    deliver_mails.delay(message_ids=ids)

    [record] = [r for r in caplog.records if r.name == "cpe_portal.jobs"]
    line = as_json(record)
    assert {key: line[key] for key in ("job", "batch", "rows_changed", "state")} == {
        "job": "accounts.deliver_mails", "batch": 2, "rows_changed": 2, "state": "success"}
    assert line["duration_ms"] >= 0
    assert "example.com" not in json.dumps(line)


@pytest.mark.django_db
def test_a_worker_writes_the_job_line_as_json_in_production(tmp_path):
    redis_server = RedisServer()
    redis_server.start()
    database = connection.settings_dict
    address = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    log = tmp_path / "worker.log"
    environment = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "cpe_portal.settings.production",
        "SECRET_KEY": "a-test-secret-key-that-is-long-enough-for-the-checks-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1", "REDIS_URL": redis_server.url,
        "CPE_SITE_URL": "http://127.0.0.1", "CPE_CREDENTIAL_KEYS": credential_keys(),
        "DATABASE_URL": f"postgres://{database['USER']}@{address}/{database['NAME']}"}
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "cpe_portal", "worker", "--pool", "solo",
             "--loglevel", "INFO", "--without-heartbeat", "--without-gossip",
             "--without-mingle"],
            cwd=ROOT, env=environment, stdout=output, stderr=output)
    try:
        sender = Celery(broker=redis_server.url)
        sender.send_task("accounts.deliver_unsent_mail", kwargs={})
        jobs: list[dict[str, object]] = []
        deadline = time.monotonic() + 60
        while not jobs and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)
            jobs = [json.loads(line) for line in log.read_text().splitlines()
                    if line.startswith("{") and '"cpe_portal.jobs"' in line]
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        redis_server.stop()

    assert len(jobs) == 1, log.read_text()
    assert {key: jobs[0][key] for key in ("job", "batch", "rows_changed", "state")} == {
        "job": "accounts.deliver_unsent_mail", "batch": None, "rows_changed": 0,
        "state": "success"}


# --- Metrics --------------------------------------------------------------------------------


def scrape(client, **extra: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples}


@pytest.mark.django_db
def test_metrics_are_a_404_for_a_client_outside_the_allowed_networks_without_the_token(
        client, settings):
    settings.METRICS_TOKEN = "a-long-scrape-token"
    outside = {"REMOTE_ADDR": "203.0.113.7"}

    assert client.get("/metrics", **outside).status_code == 404
    assert client.get("/metrics", **outside,
                      HTTP_AUTHORIZATION="Bearer a-wrong-token").status_code == 404
    assert client.get("/metrics", **outside,
                      HTTP_AUTHORIZATION="Bearer a-long-scrape-token").status_code == 200
    assert client.get("/metrics").status_code == 200  # 127.0.0.1


@pytest.mark.django_db
def test_metrics_answer_a_client_in_a_configured_network(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8"]

    assert client.get("/metrics", REMOTE_ADDR="10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::ffff:10.20.30.40").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="not an address").status_code == 404


@pytest.mark.django_db
def test_metrics_count_the_outbox_and_the_pending_jobs_as_work_is_queued(client):
    holder = UserFactory()
    before = scrape(client)

    [message_id] = queue_mails([Mail(name="note", recipient_id=holder.pk, to=holder.email)])
    OutboxMessage.objects.filter(pk=message_id).update(
        created_at=timezone.now() - timedelta(minutes=2))
    queue_job(task="submissions.recount_open_years", kwargs={"level_id": 1})
    after = scrape(client)

    assert before[("cpe_outbox_unsent_messages", ())] == 0
    assert before[("cpe_outbox_oldest_unsent_age_seconds", ())] == 0
    assert before[("cpe_pending_jobs", ())] == 0
    assert after[("cpe_outbox_unsent_messages", ())] == 1
    assert 120 <= after[("cpe_outbox_oldest_unsent_age_seconds", ())] < 180
    assert after[("cpe_pending_jobs", ())] == 1


@pytest.mark.django_db
def test_metrics_say_when_each_daily_job_last_finished_its_work(client):
    before = scrape(client)
    once_a_day("send_cpe_reminders", date(2026, 3, 1), lambda: {"messages": 0})
    once_a_day("send_cpe_reminders", date(2026, 3, 2), lambda: {"messages": 0})
    after = scrape(client)

    assert not [key for key in before if key[0].startswith("cpe_daily_job")]
    last = DailyRun.objects.get(day=date(2026, 3, 2)).finished_at.timestamp()
    assert after[("cpe_daily_job_last_finished_timestamp_seconds",
                  (("job", "send_cpe_reminders"),))] == pytest.approx(last)


@pytest.mark.django_db
def test_metrics_time_each_request_by_view_method_and_status(client):
    key = ("cpe_http_request_duration_seconds_count",
           (("method", "GET"), ("status", "200"), ("view", "healthz")))
    before = scrape(client).get(key, 0)

    client.get("/healthz/")

    assert scrape(client)[key] == before + 1


def test_metrics_add_up_the_latencies_of_every_gunicorn_worker(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR, whichever worker answers the scrape counts the requests
    all of them answered."""
    (tmp_path / "metrics").mkdir()
    (tmp_path / "private").mkdir()
    portal = Portal({"DATABASE_URL": os.environ.get(
                         "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cpe_portal"),
                     "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
                     "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")},
                    log=tmp_path / "log", workers=2)
    portal.start()
    statuses: list[int] = []
    try:
        # Until both workers have answered some (which one accepts is up to them).
        for _ in range(20):
            with ThreadPoolExecutor(8) as pool:
                statuses += pool.map(lambda _: get(f"{portal.url}/healthz/")[0], range(40))
            pids = {json.loads(line)["process"] for line in portal.log.read_text().splitlines()
                    if line.startswith("{") and '"healthz"' in line}
            if len(pids) == 2:
                break
        body = get(f"{portal.url}/metrics")[1].decode()
    finally:
        portal.stop()

    assert len(pids) == 2
    assert set(statuses) == {200}
    counts = {tuple(sorted(sample.labels.items())): sample.value
              for family in text_string_to_metric_families(body) for sample in family.samples
              if sample.name == "cpe_http_request_duration_seconds_count"}
    assert counts[(("method", "GET"), ("status", "200"), ("view", "healthz"))] == len(statuses)


# --- Sentry ---------------------------------------------------------------------------------


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append((self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sentry_server() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    _Collector.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://public-key@127.0.0.1:{server.server_port}/1", _Collector.received
    finally:
        server.shutdown()
        server.server_close()


PROGRAM = """
import json, django, sentry_sdk
django.setup()
client = sentry_sdk.get_client()
print(json.dumps({"active": client.is_active(),
                  "pii": client.options["send_default_pii"] if client.is_active() else None,
                  "integrations": sorted(client.integrations)}))
def send(to):
    raise ZeroDivisionError("the error")
try:
    send("hanna@example.com")
except ZeroDivisionError:
    sentry_sdk.capture_exception()
sentry_sdk.flush(5)
"""


def run_with(**environment: str) -> dict[str, object]:
    result = subprocess.run(  # noqa: S603 — our own settings, fixed program
        [sys.executable, "-c", PROGRAM], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "cpe_portal.settings.local",
             **environment})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_errors_go_to_sentry_without_personal_data_only_when_a_dsn_is_set(sentry_server):
    dsn, received = sentry_server

    assert run_with()["active"] is False
    assert received == []

    options = run_with(SENTRY_DSN=dsn)
    assert options["active"] is True
    assert options["pii"] is False
    assert {"django", "celery"} <= set(options["integrations"])
    [(path, body)] = received
    assert path.startswith("/api/1/envelope/")
    event = gzip.decompress(body)
    assert b"ZeroDivisionError" in event
    # Nor the values of a frame's variables (an address a mail was for, a file's name).
    assert b"example.com" not in event

"""What operators see of the running portal: readiness of the services it needs, one log line
per request and per job, and the request latency histogram `/metrics` exposes.

Nothing here writes an email address, a file name or an error text where a client can read it:
the log carries ids, the readiness answer names checks only.
"""

import contextvars
import functools
import logging
import re
import select
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import psycopg
import redis
from django.conf import settings
from django.core.files.storage import Storage, storages
from django.core.signals import setting_changed
from django.db import connections
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from prometheus_client import Histogram, disable_created_metrics
from psycopg import pq
from redis.backoff import NoBackoff
from redis.retry import Retry

from .jobs import ALREADY_DONE
from .storage import private_storage

request_logger = logging.getLogger("cpe_portal.requests")
job_logger = logging.getLogger("cpe_portal.jobs")
logger = logging.getLogger(__name__)

# --- Request ids ---------------------------------------------------------------------------

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy or load balancer sends as a request id (a UUID, a hex or base64url token); any
# other text (too long, spaces, quotes, line breaks) is replaced, so a client cannot write into
# the log or the response headers through it.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,99}")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None)


def request_id_for(incoming: str | None) -> str:
    """The id of a request: the one it came with when that is a sane token, else a new one."""
    if incoming and _SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Gives every log record written while a request is handled its request id (None outside
    a request), so a warning deep in a service can be matched with the request's line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


# --- Request log and latency ---------------------------------------------------------------

# Prometheus reads a histogram's start from its counters' resets; the `_created` series only
# doubles what a scrape carries.
disable_created_metrics()

# Labels stay few: the view's name (not the path, which carries ids), the method from a fixed
# list, the status code. With several gunicorn workers each process counts its own requests;
# with PROMETHEUS_MULTIPROC_DIR set (an empty folder, shared by the workers, emptied when the
# server starts) prometheus_client writes them to files there and `/metrics` adds them up
# across the workers (see `cpe_portal.metrics`). Without it, a scrape sees the one worker that
# answered it.
REQUEST_LATENCY = Histogram(
    "cpe_http_request_duration_seconds", "Time to answer a request, by view, method and status.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# URL arguments that are secrets (allauth's email confirmation and password reset keys): kept
# out of the log's path.
_SECRET_URL_ARGUMENTS = ("key", "uidb36", "token")


def log_request(request: HttpRequest, response: HttpResponse, *, started: float) -> None:
    """Write the request's line and count it in the latency histogram."""
    duration = time.monotonic() - started
    match = getattr(request, "resolver_match", None)
    view = match.view_name if match is not None else "<unresolved>"
    method = request.method if request.method in _METHODS else "OTHER"
    REQUEST_LATENCY.labels(view=view, method=method,
                           status=str(response.status_code)).observe(duration)
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else None
    path = request.path
    if match is not None:
        for name in _SECRET_URL_ARGUMENTS:
            if match.kwargs.get(name):
                path = path.replace(str(match.kwargs[name]), "…")
    request_logger.info(
        "%s %s %s %.1fms", method, path, response.status_code, duration * 1000,
        extra={"request_id": request.request_id, "user_id": user_id, "method": method,
               "path": path, "view": view, "status": response.status_code,
               "duration_ms": round(duration * 1000, 1)})


# --- Job log -------------------------------------------------------------------------------


def rows_changed(result: object) -> int | None:
    """What a job's return value says it changed: a count, a yes/no, or the sum of the counts
    it names (`{"rejected": 3, "messages": 3}`); None when it says nothing countable."""
    if isinstance(result, bool | int):
        return int(result)
    if isinstance(result, Mapping):
        counts = [value for value in result.values()
                  if isinstance(value, int) and not isinstance(value, bool)]
        return sum(counts) if counts else None
    return None


def batch_size(kwargs: Mapping[str, object]) -> int | None:
    """How many items a job was handed at once (a batch of message ids), None for a job that
    finds its own work."""
    sizes = [len(value) for value in kwargs.values() if isinstance(value, list | tuple)]
    return sizes[0] if sizes else None


def log_job(name: str, *, batch: int | None, rows: int | None, duration: float,
            state: str = "done") -> None:
    job_logger.info(
        "job %s %s: %s rows in %.1fms", name, state, rows, duration * 1000,
        extra={"job": name, "batch": batch, "rows_changed": rows, "state": state,
               "duration_ms": round(duration * 1000, 1)})


_job_starts: dict[str, float] = {}


def _job_started(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _job_starts[task_id] = time.monotonic()


def _job_finished(task_id: str | None = None, task: Any = None, kwargs: Mapping | None = None,
                  retval: object = None, state: str | None = None, **_: Any) -> None:
    started = _job_starts.pop(task_id, None) if task_id else None
    if started is None or task is None:
        return
    failed = state not in (None, "SUCCESS")
    skipped = not failed and retval == ALREADY_DONE
    log_job(task.name, batch=batch_size(kwargs or {}),
            rows=0 if skipped else None if failed else rows_changed(retval),
            duration=time.monotonic() - started,
            state=ALREADY_DONE if skipped else (state or "SUCCESS").lower())


def connect_job_log() -> None:
    """One line for every Celery task run, in a worker or inline: the scheduled jobs, the
    sweeps and the deliveries."""
    # Celery is imported where the job log is switched on, so that a process without Celery
    # importing this module does not load it.
    from celery import signals

    signals.task_prerun.connect(_job_started, dispatch_uid="cpe_job_log_start", weak=False)
    signals.task_postrun.connect(_job_finished, dispatch_uid="cpe_job_log_end", weak=False)


# --- Readiness ----------------------------------------------------------------------------

# Each check gives up within its bound, so that a probe has its answer in a few seconds even
# from a service that takes the connection and never answers (a stopped process, a firewall
# that drops the replies): a 503, never a request that hangs.
READINESS_TIMEOUT = 1.0  # Redis: to connect, and for the answer to PING; no retry
DATABASE_CONNECT_TIMEOUT = 2  # seconds; libpq's smallest
DATABASE_ANSWER_TIMEOUT = 2.0  # for `SELECT 1`, once connected
STORAGE_TIMEOUT = 2  # S3: to connect, and for each read; one attempt


def _database() -> None:
    """`SELECT 1`. On PostgreSQL over a short connection of its own: the app's connection has
    no bound (psycopg waits 130 s to connect, and for good for an answer), and a check on it
    would also hold a request's pooled connection."""
    connection = connections["default"]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return
    # Autocommit: closing after a failure then sends no ROLLBACK to a server that may not answer.
    probe = psycopg.connect(**{**connection.get_connection_params(),
                               "connect_timeout": DATABASE_CONNECT_TIMEOUT}, autocommit=True)
    try:
        answer_within(probe, "SELECT 1", seconds=DATABASE_ANSWER_TIMEOUT)
    finally:
        probe.close()


def answer_within(probe: psycopg.Connection, query: str, *, seconds: float) -> None:
    """Run `query` on `probe` and wait at most `seconds` for its result, which must be rows.
    psycopg's own `execute` waits for as long as the server takes; this waits on the socket
    with a deadline. Raises TimeoutError when the answer does not come in time."""
    pgconn = probe.pgconn
    deadline = time.monotonic() + seconds

    def wait(*, write: bool) -> None:
        remaining = deadline - time.monotonic()
        readable, writable, _ = select.select([] if write else [pgconn.socket],
                                              [pgconn.socket] if write else [], [],
                                              max(remaining, 0))
        if not (readable or writable):
            raise TimeoutError(f"PostgreSQL did not answer within {seconds} s")

    pgconn.send_query(query.encode())
    while pgconn.flush():  # what the socket did not take yet
        wait(write=True)
    pgconn.consume_input()
    while pgconn.is_busy():
        wait(write=False)
        pgconn.consume_input()
    result = pgconn.get_result()
    while pgconn.get_result() is not None:
        pass
    if result is None or result.status != pq.ExecStatus.TUPLES_OK:
        message = result.error_message.decode(errors="replace") if result else "no result"
        raise psycopg.OperationalError(message)


def _ping(url: str) -> Callable[[], None]:
    def ping() -> None:
        # redis-py retries a timeout three times by default: four seconds, not one.
        client = redis.Redis.from_url(url, socket_connect_timeout=READINESS_TIMEOUT,
                                      socket_timeout=READINESS_TIMEOUT,
                                      retry=Retry(NoBackoff(), 0))
        try:
            if not client.ping():
                raise redis.ConnectionError("no PONG")
        finally:
            client.close()
    return ping


def _storage() -> None:
    # Listing the top folder reaches the storage itself: a local folder that is gone (a volume
    # not mounted) or a bucket that is missing or cannot be reached raises. Looking up one name
    # would not do: a local look-up never fails, and S3 answers 404 for a missing bucket too.
    storage = private_storage()
    if getattr(storage, "client_config", None) is not None:  # a bucket (django-storages' S3)
        storage = _bounded_bucket()
    storage.listdir("")


@functools.cache
def _bounded_bucket() -> Storage:
    """The private bucket's storage for the check: the configured one, but with one attempt
    and short timeouts, where botocore waits 60 s to connect and 60 s for each read, and tries
    five times (the app's uploads and downloads keep those). Made once per process: a new
    client costs 0.2 s of CPU."""
    # Only where the private storage is a bucket: botocore is a dependency of that storage.
    from botocore.config import Config

    bucket = storages.create_storage(settings.STORAGES["private"])
    bucket.client_config = bucket.client_config.merge(Config(
        connect_timeout=STORAGE_TIMEOUT, read_timeout=STORAGE_TIMEOUT,
        retries={"total_max_attempts": 1}))
    return bucket


@receiver(setting_changed)
def _forget_bounded_bucket(*, setting: str, **kwargs: Any) -> None:
    if setting == "STORAGES":
        _bounded_bucket.cache_clear()


def _redis_url(value: object) -> str | None:
    return value if isinstance(value, str) and value.startswith(("redis://", "rediss://",
                                                                 "unix://")) else None


def readiness_checks() -> dict[str, Callable[[], None]]:
    """The services a request may need, each a check that raises when it is not usable. The
    cache and the broker are checked only where they are Redis (not in `make run`)."""
    checks: dict[str, Callable[[], None]] = {"database": _database}
    cache = settings.CACHES["default"]
    cache_url = _redis_url(cache.get("LOCATION")) if "redis" in cache["BACKEND"].lower() else None
    if cache_url:
        checks["cache"] = _ping(cache_url)
    broker_url = _redis_url(getattr(settings, "CELERY_BROKER_URL", None))
    if broker_url:
        # One Redis for both (the usual case) is asked once.
        checks["broker"] = checks["cache"] if broker_url == cache_url else _ping(broker_url)
    checks["storage"] = _storage
    return checks


def readiness() -> dict[str, bool]:
    """Each check's name and whether it passed. What failed and why goes to the log (for
    operators), never into the answer."""
    results: dict[str, bool] = {}
    done: dict[Callable[[], None], bool] = {}
    for name, check in readiness_checks().items():
        if check not in done:
            try:
                check()
            except Exception:
                logger.warning("Readiness check %s failed.", name, exc_info=True)
                done[check] = False
            else:
                done[check] = True
        results[name] = done[check]
    return results

"""With Redis stopped, holders and reviewers work as usual: nothing is queued, nothing fails,
and the outbox keeps the decision's mail until Redis is back and the sweep sends it, once."""

import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import OutboxMessage
from accounts.roles import REVIEWER
from accounts.services import mark_email_verified
from accounts.tasks import deliver_unsent_mail
from cpe_portal.celery import app
from cpe_portal.settings import base as base_settings
from submissions.enums import EntryState
from submissions.models import Entry
from tests.factories import PASSWORD, CertificationFactory, activity
from tests.services import RedisServer
from tests.staff import make_staff, sign_in

# A request that publishes to a Redis that is down gives up at once (connection refused); the
# 19 seconds it used to wait would fail this.
QUICK = 10.0


def _forget_connections() -> None:
    # Celery keeps its broker connections and this thread's result backend once made; a new
    # broker URL takes effect only without them. (Closing the pool would break it for good:
    # kombu keeps one pool per URL.)
    app._pool = None
    app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)


@pytest.fixture
def celery_on(settings, redis_server) -> Iterator[RedisServer]:
    """Celery's broker and result backend on the test's own Redis, tasks sent for real; the
    cache (sign-in rate limits, cached pages) on the same Redis, as in production."""
    settings.CACHES = {"default": {
        **base_settings.CACHES["default"], "BACKEND": "common.cache.ResilientRedisCache",
        "LOCATION": redis_server.url,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}}
    settings.ACCOUNT_RATE_LIMITS = base_settings.ACCOUNT_RATE_LIMITS
    saved = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = settings.CELERY_RESULT_BACKEND = redis_server.url
    app.conf.update(broker_url=redis_server.url, result_backend=redis_server.url,
                    task_always_eager=False)
    _forget_connections()
    try:
        yield redis_server
    finally:
        app.conf.update(saved)
        _forget_connections()


def timed(request: callable, *args: object, **kwargs: object):  # type: ignore[valid-type]
    started = time.monotonic()
    response = request(*args, **kwargs)
    return response, time.monotonic() - started


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_redis_down_holders_and_reviewers_work_and_the_mail_goes_once_it_is_back(
        celery_on, caplog):
    # A worker started earlier in this process leaves the root logger at ERROR.
    caplog.set_level(logging.WARNING, logger="accounts.outbox")
    today = timezone.localdate()
    # A year that began 35 days ago, so that the activity below falls in the open year.
    certification = CertificationFactory(awarded_on=today - timedelta(days=400))
    holder = certification.holder
    mark_email_verified(user=holder, email=holder.email)
    holder_client = Client()
    holder_client.force_login(holder)
    reviewer_client = sign_in(Client(), make_staff(REVIEWER))
    celery_on.stop()

    # The holder logs a book, which waits for a reviewer.
    logged, logging_took = timed(holder_client.post, reverse("submissions:entry_create"), {
        "activity_type": activity("read-books").pk,
        "activity_date": (today - timedelta(days=10)).isoformat(),
        "title": "Security Engineering", "quantity": "250", "relevance_confirmed": "on",
        "confirmed": "on",
    })
    entry = Entry.objects.get(holder=holder)
    assert (logged.status_code, logged["Location"]) == (
        302, reverse("submissions:entry_detail", args=[entry.pk]))
    assert (entry.state, entry.claimed_credits) == (EntryState.PENDING_APPROVAL, Decimal("2.50"))

    # The reviewer approves it; the mail cannot be queued and stays in the outbox.
    decided, deciding_took = timed(
        reviewer_client.post, reverse("admin:submissions_entry_decide", args=[entry.pk]),
        {"seen_state": entry.state, "action": "approve"})
    entry.refresh_from_db()
    assert (decided.status_code, decided["Location"]) == (
        302, reverse("admin:submissions_entry_changelist"))
    assert entry.state == EntryState.APPROVED
    message = OutboxMessage.objects.get()
    assert (message.kind, message.to, message.sent_at, message.attempts) == (
        "entry_approved", holder.email, None, 0)
    assert "left for the outbox sweep" in caplog.text
    assert max(logging_took, deciding_took) < QUICK
    assert mail.outbox == []

    # Pages that read the cache, and signing in (its rate limits count in the cache), work
    # without it.
    for url in (reverse("home"), reverse("submissions:entry_list"),
                reverse("submissions:entry_detail", args=[entry.pk])):
        page, took = timed(holder_client.get, url)
        assert (url, page.status_code) == (url, 200)
        assert took < QUICK
    fresh = Client()
    signed_in = fresh.post(reverse("account_login"), {"login": holder.email,
                                                      "password": PASSWORD})
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/")
    assert fresh.get("/").status_code == 200

    # Redis is back: the sweep, on a real worker, sends the mail; a second sweep sends nothing.
    # The web process's pooled connection died with the old Redis; the publish replaces it.
    celery_on.start()
    sweep = {"kwargs": {"now": (timezone.now() + timedelta(minutes=5)).isoformat()},
             "ignore_result": False}
    # Named: a worker started earlier in this process left its own queue selected.
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10,
                      queues=[app.conf.task_default_queue]):
        sent = [deliver_unsent_mail.apply_async(**sweep).get(timeout=30) for _ in range(2)]

    assert sent == [1, 0]
    message.refresh_from_db()
    assert message.sent_at is not None
    assert [(sent.to, sent.subject) for sent in mail.outbox] == [
        ([holder.email], "Approved: “Security Engineering”")]

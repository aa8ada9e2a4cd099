"""Tasks travel through a real Redis broker to a real worker."""

import time
import uuid
from datetime import date
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import transaction

from accounts.models import DailyRun
from accounts.tasks import deliver_mail
from certifications.models import CertificationYear
from certifications.tasks import open_certification_years
from cpe_portal.celery import app
from submissions.services import recount_after_catalogue_change
from tests.factories import CertificationFactory, EntryFactory, activity


@pytest.fixture
def redis_worker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app.conf.task_always_eager = False
    app.conf.broker_url = settings.CELERY_BROKER_URL
    app.conf.result_backend = settings.CELERY_RESULT_BACKEND
    # A queue of this run's own: another test run on the same Redis cannot take its tasks.
    queue = f"test-{uuid.uuid4().hex}"
    default_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10,
                          queues=[queue]):
            yield
    finally:
        app.conf.task_always_eager = True
        app.conf.task_default_queue = default_queue


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_open_certification_years_runs_on_a_redis_worker(redis_worker):
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    CertificationFactory(awarded_on=date(2024, 1, 1))
    # Results are not kept unless asked for: nothing in the portal waits for one.
    run = {"kwargs": {"today": "2025-06-01"}, "ignore_result": False}
    assert open_certification_years.apply_async(**run).get(timeout=30) == {"years": 2}
    assert CertificationYear.objects.count() == 2
    # Sent again the same day (a second beat, a redelivery), it does nothing; the next day it
    # runs, and finds nothing new.
    assert open_certification_years.apply_async(**run).get(timeout=30) == "already done"
    run["kwargs"]["today"] = "2025-06-02"
    assert open_certification_years.apply_async(**run).get(timeout=30) == {"years": 0}
    assert sorted(DailyRun.objects.values_list("day", "result")) == [
        (date(2025, 6, 1), {"years": 2}), (date(2025, 6, 2), {"years": 0})]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_cap_change_is_recounted_by_a_redis_worker(redis_worker):
    certification = CertificationFactory(awarded_on=date(2025, 1, 1))
    EntryFactory(holder=certification.holder, activity_type=activity("mentor"),
                 activity_date=date(2025, 5, 1), hours=Decimal("8"), claimed_credits=Decimal("8"))
    mentor = activity("mentor")
    mentor.annual_cap = Decimal("5")
    mentor.save()

    # What the admin does on saving a new cap: the task is sent once the change is committed.
    with transaction.atomic():
        recount_after_catalogue_change(activity_type=mentor)

    year = CertificationYear.objects.get(certification=certification)
    for _ in range(300):
        year.refresh_from_db()
        if year.counted_credits == Decimal("5"):
            break
        time.sleep(0.1)
    assert year.counted_credits == Decimal("5")


def test_redis_gives_a_task_to_another_worker_only_when_it_cannot_be_running_or_waiting():
    # acks_late: a task taken by a worker that dies goes back to Redis, and after the
    # visibility timeout to another worker. A task still running (up to its hard time limit)
    # or held for its retry countdown (mail delivery: up to an hour) must not be handed out.
    assert (app.conf.task_acks_late, app.conf.task_reject_on_worker_lost) == (True, True)
    longest_hold = app.conf.task_time_limit + deliver_mail.retry_backoff_max
    assert app.conf.broker_transport_options["visibility_timeout"] > longest_hold
    assert app.conf.beat_schedule == {}

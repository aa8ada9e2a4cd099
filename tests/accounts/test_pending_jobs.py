"""Pending jobs: work a change promised, written with the change, done once after it commits,
by a worker or by the sweep when the broker did not take it."""

import threading
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import PendingJob
from accounts.pending import queue_job, run_pending_jobs
from certifications.models import CertificationYear
from submissions.services import recount_after_catalogue_change
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity

LATER = timedelta(minutes=5)


def mentoring_holder(hours: str = "8") -> CertificationYear:
    """A holder in year 2 of a certification with `hours` of mentoring, counted in full."""
    certification = CertificationFactory(holder=UserFactory(), awarded_on=date(2025, 1, 1))
    EntryFactory(holder=certification.holder, activity_type=activity("mentor"),
                 activity_date=date(2025, 5, 1), hours=Decimal(hours),
                 claimed_credits=Decimal(hours))
    return CertificationYear.objects.get(certification=certification)


def lower_mentoring_cap(cap: str = "5") -> None:
    mentor = activity("mentor")
    mentor.annual_cap = Decimal(cap)
    mentor.save()
    recount_after_catalogue_change(activity_type=mentor)


@pytest.mark.django_db
def test_a_cap_change_rolled_back_leaves_no_job_and_starts_nothing(
        django_capture_on_commit_callbacks):
    year = mentoring_holder()

    with django_capture_on_commit_callbacks(execute=True) as started, \
            pytest.raises(RuntimeError), transaction.atomic():
        lower_mentoring_cap()
        raise RuntimeError("the save failed")

    assert (PendingJob.objects.count(), started) == (0, [])
    year.refresh_from_db()
    assert year.counted_credits == Decimal("8")


@pytest.mark.django_db
def test_a_cap_change_is_recounted_by_its_job_once_the_change_commits(
        django_capture_on_commit_callbacks):
    year = mentoring_holder()

    with django_capture_on_commit_callbacks(execute=True):
        lower_mentoring_cap()

    job = PendingJob.objects.get()
    assert (job.task, job.attempts, job.done_at is not None) == (
        "submissions.recount_open_years", 1, True)
    year.refresh_from_db()
    assert year.counted_credits == Decimal("5")
    # Done: the sweep finds nothing left.
    assert run_pending_jobs(now=timezone.now() + LATER) == 0


@pytest.mark.django_db
def test_a_job_the_broker_did_not_take_is_done_by_the_sweep_once(
        django_capture_on_commit_callbacks):
    year = mentoring_holder()
    # The commit's hand-over to the broker never happens (as when Redis is down).
    with django_capture_on_commit_callbacks(execute=False):
        lower_mentoring_cap()
    now = timezone.now()

    too_young = run_pending_jobs(now=now)
    runs = [run_pending_jobs(now=now + LATER) for _ in range(2)]

    assert (too_young, runs) == (0, [1, 0])
    job = PendingJob.objects.get()
    assert (job.attempts, job.done_at is not None) == (1, True)
    year.refresh_from_db()
    assert year.counted_credits == Decimal("5")


@pytest.mark.django_db
def test_a_failing_job_keeps_its_error_and_is_tried_again_on_the_next_run(
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        queue_job(task="accounts.no_such_task", kwargs={})
    later = timezone.now() + LATER

    first = run_pending_jobs(now=later)
    job = PendingJob.objects.get()
    assert (first, job.attempts, job.claimed_at, job.done_at) == (0, 1, None, None)
    assert "accounts.no_such_task" in job.last_error

    run_pending_jobs(now=later)
    job.refresh_from_db()
    assert (job.attempts, job.done_at) == (2, None)


@pytest.mark.django_db
def test_a_job_claimed_by_a_runner_that_died_is_done_after_the_claim_timeout(
        django_capture_on_commit_callbacks):
    year = mentoring_holder()
    with django_capture_on_commit_callbacks(execute=False):
        lower_mentoring_cap()
    now = timezone.now()
    PendingJob.objects.update(claimed_at=now, attempts=1)

    while_held = run_pending_jobs(now=now + LATER)
    after_timeout = run_pending_jobs(now=now + timedelta(hours=1))

    assert (while_held, after_timeout) == (0, 1)
    year.refresh_from_db()
    assert (year.counted_credits, PendingJob.objects.get().attempts) == (Decimal("5"), 2)


@pytest.mark.django_db
def test_the_run_pending_jobs_command_does_every_job_left(django_capture_on_commit_callbacks):
    year = mentoring_holder()
    with django_capture_on_commit_callbacks(execute=False):
        lower_mentoring_cap()
    out = StringIO()

    call_command("run_pending_jobs", stdout=out)

    assert out.getvalue() == "1 job(s) done, 0 not done.\n"
    year.refresh_from_db()
    assert year.counted_credits == Decimal("5")


# Two sweeps need two connections, which see only what is committed.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_at_once_do_each_job_once():
    years = [mentoring_holder(hours) for hours in ("6", "8", "10")]
    mentor = activity("mentor")
    mentor.annual_cap = Decimal("5")
    mentor.save()
    # The rows a broker that was down leaves behind (in autocommit, `queue_job` would hand
    # each over at once).
    PendingJob.objects.bulk_create(
        PendingJob(task="submissions.recount_open_years",
                   kwargs={"activity_type_id": mentor.pk, "level_id": None})
        for _ in range(3))
    later = timezone.now() + LATER
    barrier, done = threading.Barrier(2), []

    def sweep() -> None:
        try:
            barrier.wait()
            done.append(run_pending_jobs(now=later))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (len(done), sum(done)) == (2, 3)
    assert list(PendingJob.objects.values_list("attempts", flat=True)) == [1, 1, 1]
    assert PendingJob.objects.filter(done_at__isnull=True).count() == 0
    for year in years:
        year.refresh_from_db()
    assert [year.counted_credits for year in years] == [Decimal("5")] * 3

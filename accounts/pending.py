"""Work a change promises to do after it commits, kept in the database until it is done.

A change that starts background work (a recount after a cap or a level's requirement changed)
writes a PendingJob in its own transaction (`queue_job`). Once the transaction commits, the job
is handed to a worker (`accounts.run_job`); a broker that is down leaves the row behind, and the
sweep (`accounts.run_pending_jobs`, every five minutes) does it. Whoever runs a job claims its
row first with a conditional UPDATE, so that two runners, or two sweeps at once, never both do
it. A change that is rolled back leaves no job and starts nothing.

A job names the Celery task that does the work by its registered name: the apps above register
their work as tasks, and this app keeps and starts it without importing them.
"""

import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from celery import Task, current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import PendingJob

logger = logging.getLogger(__name__)

# The task that runs one job, as `accounts.tasks` registers it.
RUN_JOB = "accounts.run_job"


def claim_timeout() -> timedelta:
    """A claim older than this belongs to a runner that died: a worker holds a task at most
    its hard time limit, and a job runs inside one task."""
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) + timedelta(minutes=5)


def queue_job(*, task: str, kwargs: Mapping[str, object]) -> PendingJob:
    """Promise to run the Celery task named `task` with `kwargs` (JSON values) once the
    caller's transaction commits.

    Side effects: one PendingJob row, in the caller's transaction; after commit, the task that
    runs it is sent to the broker. A broker that does not take it changes nothing for the
    caller: the sweep runs the job."""
    job = PendingJob.objects.create(task=task, kwargs=dict(kwargs))
    transaction.on_commit(lambda: _start_later(job.pk))
    return job


def registered_task(name: str) -> Task:
    """The registered task `name`. A worker loads every app's tasks when it starts; a web
    process or a command loads them the first time a job needs one."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def _start_later(job_id: int) -> None:
    try:
        registered_task(RUN_JOB).delay(job_id=job_id)
    except Exception:
        # The change is committed and the job with it: never turn a broker that is down into
        # an error for the person who made the change.
        logger.warning("Job %s left for the sweep: the broker did not take it.", job_id,
                       exc_info=True)


def run_job(*, job_id: int, now: datetime) -> bool:
    """Do one job unless it is done or another runner holds it. Returns whether this call did
    it. Raises what the work raised, leaving the job for the next sweep.

    Side effects: claims the row, runs the job's task in this process (its own side effects),
    marks the job done."""
    if not PendingJob.claim(job_id, now=now, timeout=claim_timeout()):
        return False
    job = PendingJob.objects.get(pk=job_id)
    try:
        registered_task(job.task)(**job.kwargs)
    except Exception as error:
        PendingJob.give_back(job_id, error=error)
        raise
    PendingJob.objects.filter(pk=job_id).update(done_at=timezone.now(), last_error="")
    return True


def run_pending_jobs(*, now: datetime, older_than: timedelta = timedelta(minutes=1),
                     seconds: float = 240) -> int:
    """Do the jobs the workers were not given (a broker that was down) or did not finish (a
    worker that died), oldest first, for up to `seconds`; a job younger than `older_than` is
    left to the worker it was just sent to. A job that fails is tried again on the next run,
    not in this one. Returns how many jobs this run did. Safe to run at any time, and twice at
    once: each job is done by one of them."""
    started, done, failed = time.monotonic(), 0, set[int]()
    while time.monotonic() - started < seconds:
        job_id = (PendingJob.objects.filter(done_at__isnull=True,
                                            created_at__lte=now - older_than)
                  .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - claim_timeout()))
                  .exclude(pk__in=failed).order_by("created_at", "pk")
                  .values_list("pk", flat=True).first())
        if job_id is None:
            break
        try:
            if run_job(job_id=job_id, now=now):
                done += 1
                continue
        except Exception:
            logger.warning("Job %s failed; it is tried again on the next run.", job_id,
                           exc_info=True)
        # Failed, or taken by another runner in between: not this run's to try again.
        failed.add(job_id)
    return done

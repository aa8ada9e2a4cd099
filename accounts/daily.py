"""A scheduled daily job runs its work once per day, however many times it is sent.

Celery beat sends each daily job at its time; a second beat started by mistake, an operator's
"run now" in the admin or a broker that redelivers a task sends it again. Every job is safe to
run twice already (its own rows say what is done), but a second run still reads everything to
find nothing to do. `once_a_day` runs the work under the job's advisory lock, and only when no
run of that job finished for that day; the run that finishes records it (`DailyRun`). A run
that crashes records nothing, so the next one resumes. The management commands do not go
through here: an operator who runs a job by hand means it to run.
"""

import logging
from collections.abc import Callable
from datetime import date

from django.utils import timezone

from common.jobs import ALREADY_DONE, job_lock

from .models import DailyRun

logger = logging.getLogger(__name__)


def once_a_day(job: str, day: date,
               work: Callable[[], dict[str, int]]) -> dict[str, int] | str:
    """Do `work` for `day` unless a run of `job` finished it already. Returns what the work
    returned, or `ALREADY_DONE`.

    Side effects: the work's, and one DailyRun row when it finishes."""
    with job_lock(job):
        done = DailyRun.objects.filter(job=job, day=day).first()
        if done is not None:
            logger.info("%s for %s already ran (finished %s): nothing to do.", job,
                        day.isoformat(), done.finished_at.isoformat())
            return ALREADY_DONE
        started = timezone.now()
        result = work()
        DailyRun.objects.create(job=job, day=day, started_at=started,
                                finished_at=timezone.now(), result=result)
        return result

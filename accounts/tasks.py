from datetime import datetime

from celery import shared_task
from django.utils import timezone

from .models import OutboxMessage
from .outbox import deliver_message, deliver_messages, deliver_unsent
from .pending import RUN_JOB, run_job, run_pending_jobs


@shared_task(name="accounts.deliver_mail", autoretry_for=(Exception,), retry_backoff=30,
             retry_backoff_max=3600, max_retries=8)
def deliver_mail(*, message_id: int) -> bool:
    """Send one outbox message (once). Retried with growing pauses when the mail server fails;
    the sweep below picks up whatever is left."""
    return deliver_message(message_id=message_id, now=timezone.now())


@shared_task(name="accounts.deliver_mails", autoretry_for=(Exception,), retry_backoff=30,
             retry_backoff_max=3600, max_retries=8)
def deliver_mails(*, message_ids: list[int]) -> int:
    """Send a batch job's messages (each once). When one fails, the task is retried for what
    is left (a retry skips what was sent); the sweep picks up whatever still is."""
    sent, not_sent = deliver_messages(message_ids, now=timezone.now())
    if OutboxMessage.objects.filter(pk__in=not_sent, sent_at__isnull=True).exists():
        raise RuntimeError(f"{len(not_sent)} message(s) of the batch could not be sent yet.")
    return sent


@shared_task(name="accounts.deliver_unsent_mail")
def deliver_unsent_mail(*, now: str | None = None) -> int:
    """Every few minutes: send what the delivery tasks left behind."""
    return deliver_unsent(now=datetime.fromisoformat(now) if now else timezone.now())


@shared_task(name=RUN_JOB)
def run_job_task(*, job_id: int) -> bool:
    """Do a job a committed change promised (once). A job that fails is left for the sweep."""
    return run_job(job_id=job_id, now=timezone.now())


@shared_task(name="accounts.run_pending_jobs")
def run_pending_jobs_task(*, now: str | None = None) -> int:
    """Every few minutes: do the jobs that no worker was given or finished."""
    return run_pending_jobs(now=datetime.fromisoformat(now) if now else timezone.now())

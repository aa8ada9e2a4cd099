from datetime import datetime

from celery import shared_task
from django.utils import timezone

from .models import OutboxMessage
from .services import deliver_message, deliver_messages, deliver_unsent


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

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from .services import deliver_message, deliver_unsent


@shared_task(name="accounts.deliver_mail", autoretry_for=(Exception,), retry_backoff=30,
             retry_backoff_max=3600, max_retries=8)
def deliver_mail(*, message_id: int) -> bool:
    """Send one outbox message (once). Retried with growing pauses when the mail server fails;
    the sweep below picks up whatever is left."""
    return deliver_message(message_id=message_id, now=timezone.now())


@shared_task(name="accounts.deliver_mails", autoretry_for=(Exception,), retry_backoff=30,
             retry_backoff_max=3600, max_retries=8)
def deliver_mails(*, message_ids: list[int]) -> int:
    """Send a batch job's messages (each once). A failure leaves the rest to the retry and to
    the sweep; a retry skips what was sent."""
    failed = None
    sent = 0
    for message_id in message_ids:
        try:
            sent += deliver_message(message_id=message_id, now=timezone.now())
        except Exception as error:  # the others still go; the retry sends what is left
            failed = error
    if failed is not None:
        raise failed
    return sent


@shared_task(name="accounts.deliver_unsent_mail")
def deliver_unsent_mail(*, now: str | None = None) -> int:
    """Every few minutes: send what the delivery tasks left behind."""
    return deliver_unsent(now=datetime.fromisoformat(now) if now else timezone.now())

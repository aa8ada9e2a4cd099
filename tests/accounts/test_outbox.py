"""The outbox sweep: what the delivery tasks left behind goes out, all of it, once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import OutboxMessage
from accounts.outbox import Mail, deliver_unsent, queue_mails
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def left_behind(count: int) -> list[int]:
    """Messages a batch job wrote whose delivery task never ran (the broker was down)."""
    holders = UserFactory.create_batch(count)
    return queue_mails([Mail(name="proof_reminder", recipient_id=holder.pk, to=holder.email,
                             context={"entries": []}) for holder in holders])


def test_sweep_sends_everything_left_behind_not_only_one_batch():
    ids = left_behind(5)
    later = timezone.now() + timedelta(minutes=5)

    sent = deliver_unsent(now=later, batch=2)

    assert sent == 5
    assert OutboxMessage.objects.filter(pk__in=ids, sent_at__isnull=False).count() == 5
    assert len(mail.outbox) == 5
    assert deliver_unsent(now=later, batch=2) == 0


def test_sweep_tries_a_failing_message_once_a_run_and_sends_the_rest(settings):
    ids = left_behind(3)
    # The first message's recipient address is one the mail server refuses.
    OutboxMessage.objects.filter(pk=ids[0]).update(to="not an address\n@example.com")
    later = timezone.now() + timedelta(minutes=5)

    sent = deliver_unsent(now=later, batch=1, seconds=30)

    assert sent == 2
    failing = OutboxMessage.objects.get(pk=ids[0])
    assert (failing.sent_at, failing.attempts) == (None, 1)
    assert failing.last_error

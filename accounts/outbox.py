"""The outbox: every mail the portal sends is written as a row in the transaction of the change
that causes it, handed to a worker once that transaction commits, and swept up later when the
broker did not take it. A rolled-back change sends nothing; a message is sent under the claim of
its row, and twice only when its sender died between handing it to the mail server and marking
it sent (the portal errs toward a duplicate, never a lost message: docs/operations.md, "A worker
killed in the middle of a mail batch").

Delivery tasks are started by name (`accounts.deliver_mail`, `accounts.deliver_mails`), so this
module and the tasks that call back into it do not import each other.
"""

import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from common.mail import (
    RenderedMail,
    pack_context,
    render_mail,
    send_mail_now,
    unpack_context,
)

from .models import OutboxMessage, User
from .pending import registered_task

logger = logging.getLogger(__name__)


def queue_mail(name: str, *, to: User, context: Mapping[str, object],
               dedupe_key: str | None = None) -> OutboxMessage | None:
    """Write a message for `to` into the outbox, in the caller's transaction, rendered from
    `emails/<name>_*` with `context` (plus `user`); it is sent once the transaction commits.
    A `dedupe_key` already used writes nothing and returns None: one message per event.

    Side effects: one OutboxMessage row; after commit, a delivery task."""
    with translation.override(settings.LANGUAGE_CODE):
        mail = render_mail(name, {"user": to, **context})
    message = OutboxMessage(recipient=to, to=to.email, kind=name, dedupe_key=dedupe_key,
                            subject=mail.subject[:300], body_text=mail.text, body_html=mail.html)
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # The same event's message is written already (the unique deduplication key).
        return None
    transaction.on_commit(lambda: _send_later(message.pk))
    return message


@dataclass(frozen=True)
class Mail:
    """One message a batch job writes: rendered from `emails/<name>_*` when it is sent, with
    `context` (dates, decimals, strings, numbers, lists and mappings of them) and the recipient
    as `user`."""

    name: str
    recipient_id: int
    to: str
    context: Mapping[str, object] = field(default_factory=dict)
    dedupe_key: str | None = None


def queue_mails(mails: Sequence[Mail]) -> list[int]:
    """Write a batch job's messages into the outbox in the caller's transaction, in one
    statement, unrendered; once the transaction commits, one task delivers them all. The
    caller makes sure each event is written once (the row it claims in the same transaction);
    a `dedupe_key` used before makes the whole transaction fail rather than mail twice.

    Side effects: one INSERT; after commit, one delivery task. Returns the messages' ids, in
    the order of `mails`."""
    if not mails:
        return []
    now = timezone.now()
    if connection.vendor == "postgresql":
        ids = _insert_messages(mails, now=now)
    else:
        rows = OutboxMessage.objects.bulk_create(
            OutboxMessage(recipient_id=mail.recipient_id, to=mail.to, kind=mail.name,
                          dedupe_key=mail.dedupe_key, context=pack_context(mail.context),
                          created_at=now)
            for mail in mails)
        ids = [row.pk for row in rows]
    transaction.on_commit(lambda: _send_later(*ids))
    return ids


def _insert_messages(mails: Sequence[Mail], *, now: datetime) -> list[int]:
    """`queue_mails` on PostgreSQL: the messages go in as one JSON document, unpacked by the
    database. As a bulk_create, each context was an element of a jsonb array parameter, which
    psycopg escapes one by one: a thousand messages took 85 ms, and take 25 ms. The columns
    the messages leave empty get the model's defaults."""
    document = json.dumps([
        {"recipient": mail.recipient_id, "to": mail.to, "kind": mail.name,
         "dedupe_key": mail.dedupe_key, "context": pack_context(mail.context)}
        for mail in mails])
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO {OutboxMessage._meta.db_table}
                (recipient_id, "to", kind, dedupe_key, context, created_at, subject, body_text,
                 body_html, attempts, last_error)
            SELECT (m.mail ->> 'recipient')::bigint, m.mail ->> 'to', m.mail ->> 'kind',
                   m.mail ->> 'dedupe_key', m.mail -> 'context', %s, '', '', '', 0, ''
            FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS m(mail, position)
            ORDER BY m.position
            RETURNING id
        """, [now, document])  # noqa: S608 (the table's name)
        return [row[0] for row in cursor.fetchall()]


def _send_later(*message_ids: int) -> None:
    try:
        if len(message_ids) == 1:
            registered_task("accounts.deliver_mail").delay(message_id=message_ids[0])
        else:
            registered_task("accounts.deliver_mails").delay(message_ids=list(message_ids))
    except Exception:
        logger.warning("Mail %s left for the outbox sweep: the broker did not take it.",
                       ", ".join(map(str, message_ids[:10])), exc_info=True)


# A claim older than this is taken to belong to a sender that died.
CLAIM_TIMEOUT = timedelta(minutes=10)


def deliver_message(*, message_id: int, now: datetime) -> bool:
    """Send one outbox message unless it was sent or another sender holds it. Returns whether
    this call sent it. Raises what the mail backend raised, leaving the message for a retry.

    Side effects: claims the row, sends the mail, marks it sent."""
    if not OutboxMessage.claim(message_id, now=now, timeout=CLAIM_TIMEOUT):
        return False
    message = OutboxMessage.objects.select_related("recipient").get(pk=message_id)
    try:
        mail = _rendered(message)
        send_mail_now(mail, to=[message.to], message_id=outbox_message_id(message))
    except Exception as error:
        OutboxMessage.give_back(message_id, error=error)
        raise
    OutboxMessage.objects.filter(pk=message_id).update(
        sent_at=timezone.now(), last_error="", subject=mail.subject[:300], body_text=mail.text,
        body_html=mail.html)
    return True


def outbox_message_id(message: OutboxMessage) -> str:
    """The Message-ID of an outbox message, the same at every attempt: a message handed to the
    mail server again after its sender died mid-send (see `deliver_message`) arrives as the same
    message, which mail servers and clients recognise as a duplicate."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<outbox.{message.pk}.{int(message.created_at.timestamp())}@{domain}>"


def _rendered(message: OutboxMessage) -> RenderedMail:
    """The message as written, or, for one a batch job wrote, rendered now from its context."""
    if message.body_text:
        return RenderedMail(message.subject, message.body_text, message.body_html)
    with translation.override(settings.LANGUAGE_CODE):
        return render_mail(message.kind, {"user": message.recipient,
                                          **unpack_context(message.context)})


def deliver_unsent(*, now: datetime, older_than: timedelta = timedelta(minutes=1),
                   batch: int = 500, seconds: float = 240) -> int:
    """Send what the delivery tasks left behind (a broker that was down, a crashed worker),
    oldest first, `batch` at a time for up to `seconds` (a year-end close's hundred thousand
    messages are not left to trickle out 500 a run). A message that fails is tried again on the
    next run, not in this one. Returns how many were sent now. Safe to run at any time, and
    twice."""
    started, sent, failed = time.monotonic(), 0, set()
    while time.monotonic() - started < seconds:
        ids = list(OutboxMessage.objects.filter(sent_at__isnull=True,
                                                created_at__lt=now - older_than)
                   .exclude(pk__in=failed)
                   .order_by("created_at", "pk").values_list("pk", flat=True)[:batch])
        if not ids:
            break
        delivered, not_sent = deliver_messages(ids, now=now)
        sent += delivered
        failed.update(not_sent)
    return sent


def deliver_messages(message_ids: Iterable[int], *, now: datetime) -> tuple[int, list[int]]:
    """Send these outbox messages, each once; one that fails does not stop the others.
    Returns how many were sent now, and the ids not sent (failed, or held by another sender,
    or sent before)."""
    sent, not_sent = 0, []
    for message_id in message_ids:
        try:
            if deliver_message(message_id=message_id, now=now):
                sent += 1
                continue
        except Exception:
            logger.warning("Mail %s could not be sent; it is tried again later.", message_id,
                           exc_info=True)
        not_sent.append(message_id)
    return sent, not_sent

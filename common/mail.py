"""The one way the portal writes mail: templates `emails/<name>_subject.txt`, `_body.txt` and
`_body.html`, rendered with the same context. Messages go out through the outbox
(`accounts.outbox.queue_mail`), which sends them after the change that caused them commits."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def site_url(viewname: str, *args: object) -> str:
    """The full address of a page of the portal, for a link in a mail."""
    return settings.CPE_SITE_URL + reverse(viewname, args=args)


def render_mail(name: str, context: Mapping[str, object]) -> RenderedMail:
    """A message from its three templates. Every template gets `site_name` and `site_url`."""
    context = {"site_name": "CPE Portal", "site_url": settings.CPE_SITE_URL, **context}
    return RenderedMail(
        subject=" ".join(render_to_string(f"emails/{name}_subject.txt", context).split()),
        text=render_to_string(f"emails/{name}_body.txt", context),
        html=render_to_string(f"emails/{name}_body.html", context),
    )


def send_mail_now(mail: RenderedMail, *, to: Sequence[str], message_id: str | None = None) -> None:
    """Hand a rendered message to the mail backend, under `message_id` when given (else a new
    one)."""
    headers = {"Message-ID": message_id} if message_id else None
    message = EmailMultiAlternatives(mail.subject, mail.text, settings.DEFAULT_FROM_EMAIL,
                                     list(to), headers=headers)
    message.attach_alternative(mail.html, "text/html")
    message.send()


def send_templated_mail(name: str, *, to: Sequence[str], context: Mapping[str, object]) -> None:
    """Render and send at once, for mail that belongs to the request itself (an invitation
    the staff member is waiting for)."""
    send_mail_now(render_mail(name, context), to=to)


def pack_context(value: object) -> object:
    """A mail context as JSON can hold it, for a message rendered when it is sent: dates and
    decimals keep their type (`unpack_context` gives them back), mappings and lists are packed
    item by item, and everything else must be a JSON value already."""
    if isinstance(value, Mapping):
        return {str(key): pack_context(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [pack_context(item) for item in value]
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    return value


def unpack_context(value: object) -> object:
    if isinstance(value, dict):
        if value.keys() == {"$date"}:
            return date.fromisoformat(value["$date"])
        if value.keys() == {"$decimal"}:
            return Decimal(value["$decimal"])
        return {key: unpack_context(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unpack_context(item) for item in value]
    return value

"""The one way the portal writes mail: templates `emails/<name>_subject.txt`, `_body.txt` and
`_body.html`, rendered with the same context. Messages go out through the outbox
(`accounts.services.queue_mail`), which sends them after the change that caused them commits."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def render_mail(name: str, context: Mapping[str, object]) -> RenderedMail:
    """A message from its three templates. Every template gets `site_name` and `site_url`."""
    context = {"site_name": "CPE Portal", "site_url": settings.CPE_SITE_URL, **context}
    return RenderedMail(
        subject=" ".join(render_to_string(f"emails/{name}_subject.txt", context).split()),
        text=render_to_string(f"emails/{name}_body.txt", context),
        html=render_to_string(f"emails/{name}_body.html", context),
    )


def send_mail_now(mail: RenderedMail, *, to: Sequence[str]) -> None:
    """Hand a rendered message to the mail backend."""
    message = EmailMultiAlternatives(mail.subject, mail.text, settings.DEFAULT_FROM_EMAIL,
                                     list(to))
    message.attach_alternative(mail.html, "text/html")
    message.send()


def send_templated_mail(name: str, *, to: Sequence[str], context: Mapping[str, object]) -> None:
    """Render and send at once, for mail that belongs to the request itself (an invitation
    the staff member is waiting for)."""
    send_mail_now(render_mail(name, context), to=to)

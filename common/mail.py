"""The one way the portal sends mail: templates `emails/<name>_subject.txt`, `_body.txt` and
`_body.html`, rendered with the same context."""

from collections.abc import Mapping, Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def send_templated_mail(name: str, *, to: Sequence[str], context: Mapping[str, object]) -> None:
    context = {"site_name": "CPE Portal", **context}
    subject = " ".join(render_to_string(f"emails/{name}_subject.txt", context).split())
    text = render_to_string(f"emails/{name}_body.txt", context)
    html = render_to_string(f"emails/{name}_body.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, list(to))
    message.attach_alternative(html, "text/html")
    message.send()

from django import template
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from common.middleware import ADMIN_DESTINATION_SESSION_KEY

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_destination(context: template.Context) -> str:
    """The admin page a staff member was going to when sent to set up two-factor
    authentication, or the admin's front page."""
    request: HttpRequest | None = context.get("request")
    index = reverse("admin:index")
    wanted = request.session.get(ADMIN_DESTINATION_SESSION_KEY) if request is not None else None
    if (isinstance(wanted, str) and wanted.startswith(index)
            and url_has_allowed_host_and_scheme(wanted, allowed_hosts=None)):
        return wanted
    return index

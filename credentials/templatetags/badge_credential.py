"""The badge page's credential: what the credentials app adds to the public verification page
of the certifications app (which stands below it and cannot read credentials).

For everyone: whether the credential verifies, said by the portal's own verification (the
signature against the published keys, the bit in the status list), and links to it. For the
holder: the downloads, LinkedIn's add-to-profile link (active certifications only) and a QR
code of the page."""

from django import template
from django.conf import settings
from django.utils.translation import gettext as _

from certifications.models import Certification
from common.mail import site_url
from credentials.selectors import check_credential
from credentials.services import issue_badge_credential
from credentials.sharing import linkedin_add_url, qr_svg

register = template.Library()


@register.inclusion_tag("credentials/_badge_credential.html", takes_context=True)
def badge_credential(context: template.Context,
                     certification: Certification) -> dict[str, object]:
    """`certification` comes with its holder, title and level. Gives the certification its
    status list index the first time (`issue_badge_credential`)."""
    issued = issue_badge_credential(certification=certification)
    user = context["request"].user
    is_holder = user.is_authenticated and user.pk == certification.holder_id
    verify_url = site_url("certifications:badge", certification.badge_id)
    shared: dict[str, object] = {}
    if is_holder:
        shared["qr_code"] = qr_svg(verify_url, label=_("QR code of the verification link of "
                                                       "%(title)s") % {
            "title": certification.title.name})
        if certification.is_active:
            shared["linkedin_url"] = linkedin_add_url(
                name=certification.title.name, organization=settings.CPE_ISSUER_NAME,
                awarded_on=certification.awarded_on, verify_url=verify_url,
                badge_id=certification.badge_id)
    return {"certification": certification, "check": check_credential(issued.jwt),
            "is_holder": is_holder, "verify_url": verify_url, **shared}

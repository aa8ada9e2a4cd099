"""Writes for accounts: addresses, invitations, the records version. The outbox is
`accounts.outbox`; pending jobs are `accounts.pending`."""

from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.db.models import F

from common.mail import send_templated_mail

from .models import User


def mark_email_verified(*, user: User, email: str) -> bool:
    """Make `email` the user's verified primary address for allauth, so the holder can sign in
    and reset a password without a confirmation mail: the certification body vouches for it.

    Side effects: creates or updates the user's EmailAddress row and demotes any other primary
    address of the user. Returns whether anything was written.
    """
    email = email.lower()
    demoted = (
        EmailAddress.objects.filter(user=user, primary=True)
        .exclude(email__iexact=email)
        .update(primary=False)
    )
    address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
    if address is None:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return True
    if (address.email, address.verified, address.primary) == (email, True, True):
        return demoted > 0
    address.email, address.verified, address.primary = email, True, True
    address.save(update_fields=["email", "verified", "primary"])
    return True


def invitation_url(*, user: User) -> str:
    """A one-time link at which `user` chooses a password (allauth's password-reset key).
    Call within a request: allauth builds the absolute URL from it."""
    from allauth.account import app_settings
    from allauth.account.adapter import get_adapter
    from allauth.account.utils import user_pk_to_url_str

    token = app_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(user)
    return get_adapter().get_reset_password_from_key_url(f"{user_pk_to_url_str(user)}-{token}")


def send_invitation(*, user: User) -> None:
    """Mail `user` a link to choose a password. Side effects: one email; nothing stored."""
    send_templated_mail("invitation", to=[user.email], context={
        "user": user, "set_password_url": invitation_url(user=user)})


def records_changed(*, holder_ids: Iterable[int]) -> None:
    """The holders' entries, standings or certifications changed: the pages cached under their
    records version are stale. Call it in the transaction of the change.

    Side effects: one UPDATE of the holders' `records_version`."""
    User.objects.filter(pk__in=list(holder_ids)).update(
        records_version=F("records_version") + 1)

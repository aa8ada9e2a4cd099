"""Writes for accounts."""

from allauth.account.models import EmailAddress

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

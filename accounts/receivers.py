"""What accounts does when allauth reports a step of a person's sign-in."""

from typing import Any

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from .models import User


def record_totp_set_up(sender: type, request: HttpRequest | None, user: User,
                       authenticator: Authenticator, **kwargs: Any) -> None:
    """Setting up a TOTP authenticator takes a code from it, so the session has passed the
    second factor as surely as at sign-in: recorded the way allauth records a code entered
    then, so that staff go on to the admin without waiting for the next code."""
    if (request is None or authenticator.type != Authenticator.Type.TOTP
            or request.user.pk != user.pk):
        return
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)

"""Staff in tests: a member of the role groups the migration made, with a TOTP authenticator,
signed in with a session that passed the second factor, as allauth records it."""

import base64
import hashlib
import hmac
import struct
import time

from allauth.account.internal.flows.login import record_authentication
from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory

from accounts.models import User

from .factories import UserFactory

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


# The portal accepts a code only within its own 30-second step (allauth's TOTP_TOLERANCE is 0),
# so a code for "now" is taken with at least this many seconds of its step left: one typed a
# moment before the step turns would be refused by the time a busy server reads it.
CODE_MARGIN_SECONDS = 6


def totp_code(secret: str = TOTP_SECRET, at: float | None = None) -> str:
    """The RFC 6238 code of `secret` (HMAC-SHA1, 30-second steps, six digits) at `at`; without
    `at`, of a step with CODE_MARGIN_SECONDS still to run, waiting for the next when needed."""
    if at is None:
        at = time.time()
        left = 30 - at % 30
        if left < CODE_MARGIN_SECONDS:
            time.sleep(left + 0.05)
            at = time.time()
    counter = int(at // 30)
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def add_totp(user: User, secret: str = TOTP_SECRET) -> Authenticator:
    return Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP,
        data={"secret": get_adapter().encrypt(secret)})


def make_staff(*roles: str, totp: bool = True, **fields: object) -> User:
    """A staff member in the groups named `roles`, with a verified address and, unless told
    otherwise, a TOTP authenticator."""
    user = UserFactory(is_staff=True, **fields)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user.groups.set(Group.objects.filter(name__in=roles))
    assert user.groups.count() == len(roles), f"no group for one of {roles}"
    if totp:
        add_totp(user)
    return user


def sign_in(client: Client, user: User, *, second_factor: bool = True) -> Client:
    """Sign `user` in on `client`; with `second_factor`, the session also holds the record
    allauth keeps when a TOTP code was entered at sign-in."""
    client.force_login(user)
    if second_factor:
        session = client.session
        request = RequestFactory().get("/")
        request.session, request.user = session, user
        authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
        session.save()
    return client

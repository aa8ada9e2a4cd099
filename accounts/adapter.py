import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.authentication import get_authentication_records
from allauth.core import context
from django.forms import BaseForm
from django.http import HttpRequest
from django.urls import reverse

from .models import User
from .services import send_invitation


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: User, form: BaseForm,
                  commit: bool = True) -> User:
        user.full_name = form.cleaned_data.get("full_name", "").strip()
        return super().save_user(request, user, form, commit)

    def send_account_already_exists_mail(self, email: str) -> None:
        # A holder the certification body registered has no password yet: signing up with the
        # address on record mails them the link to choose one, which proves the address too.
        # The page shown is the same as for any signup, so nobody learns who is registered.
        unclaimed = User.objects.filter(email__iexact=email, is_active=True).first()
        if unclaimed is not None and not unclaimed.has_usable_password():
            send_invitation(user=unclaimed)
            return
        super().send_account_already_exists_mail(email)

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """Staff sign in to work in the admin; holders to their dashboard. A `next` the
        sign-in carries goes first (allauth reads it before asking here)."""
        if request.user.is_staff:
            return reverse("admin:index")
        return super().get_login_redirect_url(request)

    def is_reauthentication_required(self, *, app: str, **kwargs: object) -> bool:
        """A password typed at sign-in a moment ago confirms it as well as typing it again:
        staff made to set up two-factor authentication on their first visit are not asked
        for the password twice in a row. Later, or after a sign-in by other means, allauth's
        own rule stands (its `ACCOUNT_REAUTHENTICATION_TIMEOUT`)."""
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        request = context.request
        return request is None or not _signed_in_with_password_recently(request)


def _signed_in_with_password_recently(request: HttpRequest) -> bool:
    if not request.user.is_authenticated:
        return False
    # allauth records each step of this session's sign-in, the password's with its time.
    passwords = [record for record in get_authentication_records(request, request.user)
                 if record.get("method") == "password"]
    return bool(passwords) and (
        time.time() - passwords[-1]["at"] < account_settings.REAUTHENTICATION_TIMEOUT)

from allauth.account.adapter import DefaultAccountAdapter
from django.forms import BaseForm
from django.http import HttpRequest

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

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("People")

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_added

        from .receivers import record_totp_set_up

        authenticator_added.connect(record_totp_set_up, dispatch_uid="accounts.totp_set_up")

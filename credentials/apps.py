from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .signing import parse_keys


class CredentialsConfig(AppConfig):
    name = "credentials"
    verbose_name = _("Credentials")

    def ready(self) -> None:
        # Keys that cannot be read stop every process as it starts (web workers, Celery,
        # commands), saying what is wrong, rather than the first request for a credential.
        if settings.CPE_CREDENTIAL_KEYS.strip():
            parse_keys(settings.CPE_CREDENTIAL_KEYS)

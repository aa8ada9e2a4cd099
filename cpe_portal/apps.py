from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CpePortalConfig(AppConfig):
    """The project on top of the apps: settings, URLs, the landing page and demo data."""

    name = "cpe_portal"
    verbose_name = _("CPE Portal")

    def ready(self) -> None:
        from common.observability import connect_job_log  # Apps are loaded only now.

        connect_job_log()

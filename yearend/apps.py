from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class YearendConfig(AppConfig):
    """The year-end close and proof retention: jobs that read and change every app below."""

    name = "yearend"
    verbose_name = _("Year end")

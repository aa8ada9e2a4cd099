from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleKind(models.TextChoices):
    """How an activity type turns what the holder did into credits."""

    PER_HOUR = "per_hour", _("per hour")
    PER_UNIT = "per_unit", _("per unit")
    FIXED = "fixed", _("fixed")
    RANGE = "range", _("range")

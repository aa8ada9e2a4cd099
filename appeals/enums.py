from django.db import models
from django.utils.translation import gettext_lazy as _


class DenialKind(models.TextChoices):
    ENTRY_REJECTED = "entry_rejected", _("entry rejected")
    CREDITS_ADJUSTED = "credits_adjusted", _("credit value adjusted")
    DECERTIFIED = "decertified", _("decertified")


class AppealState(models.TextChoices):
    FILED = "filed", _("filed")
    SCHEDULED = "scheduled", _("on a Board meeting's agenda")
    UPHELD = "upheld", _("upheld")
    DISMISSED = "dismissed", _("dismissed")


DECIDED_APPEAL_STATES = frozenset({AppealState.UPHELD, AppealState.DISMISSED})

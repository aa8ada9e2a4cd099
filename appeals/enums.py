from django.db import models
from django.utils.translation import gettext_lazy as _


class AppealState(models.TextChoices):
    FILED = "filed", _("filed")
    SCHEDULED = "scheduled", _("on a Board meeting's agenda")
    UPHELD = "upheld", _("upheld")
    DISMISSED = "dismissed", _("dismissed")


DECIDED_APPEAL_STATES = frozenset({AppealState.UPHELD, AppealState.DISMISSED})
# Appeals the Board has still to decide: they hold a year's close and keep proof from deletion.
OPEN_APPEAL_STATES = frozenset({AppealState.FILED, AppealState.SCHEDULED})

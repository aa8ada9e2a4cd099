from django.db import models
from django.utils.translation import gettext_lazy as _


class Field(models.TextChoices):
    INFORMATION_SECURITY = "information_security", _("Information security")
    DATA_PROTECTION = "data_protection", _("Data protection")
    IT_SECURITY = "it_security", _("IT security")
    ETHICAL_HACKING = "ethical_hacking", _("Ethical hacking")
    BUSINESS_CONTINUITY = "business_continuity", _("Business continuity")
    SECURITY_OPERATIONS = "security_operations", _("Security operations")


class CertificationStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    DECERTIFIED = "decertified", _("decertified")


class YearState(models.TextChoices):
    """Where the close of a certification year stands."""

    OPEN = "open", _("open")
    # The deadline passed short of the requirement, but undecided entries or an open appeal
    # could still make it met.
    WAITING = "waiting", _("waiting for decisions")
    MET = "met", _("closed as met")
    NOT_MET = "not_met", _("closed as not met")
    EXEMPT = "exempt", _("closed, no CPE required")


# Years the close has decided: their outcome is a record.
CLOSED_YEAR_STATES = frozenset({YearState.MET, YearState.NOT_MET, YearState.EXEMPT})
# Years the close has still to decide: open, or held for decisions.
UNCLOSED_YEAR_STATES = frozenset({YearState.OPEN, YearState.WAITING})

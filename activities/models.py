from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .enums import RuleKind
from .rules import Rule, describe_rule


class ActivityType(models.Model):
    """One row of the activity catalogue: what an activity earns, its cap and its review."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    rule_kind = models.CharField(_("rule kind"), max_length=10, choices=RuleKind.choices)
    rate = models.DecimalField(
        _("rate"),
        max_digits=6,
        decimal_places=2,
        help_text=_(
            "Credits per hour (per hour), per unit size (per unit) or for the activity (fixed)."
        ),
    )
    unit_size = models.DecimalField(
        _("unit size"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("1"),
        help_text=_("Per unit: how many units earn the rate, e.g. 100 pages or 3 hours."),
    )
    unit_label = models.CharField(
        _("unit"),
        max_length=60,
        blank=True,
        help_text=_("What the holder counts, e.g. “pages” or “hours of podcast”."),
    )
    quantity_label = models.CharField(
        _("amount label"),
        max_length=60,
        blank=True,
        help_text=_(
            "Per unit: how the log form and the entry page label the amount, e.g. “Pages "
            "read”. Shown in the holder's language where the translation has it; when empty, "
            "the unit is the label."
        ),
    )
    quantity_step = models.DecimalField(
        _("quantity step"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1"),
        help_text=_("Per unit: quantities are whole multiples of this (1, or 0.25 for hours)."),
    )
    range_min = models.DecimalField(
        _("lowest credits"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    range_max = models.DecimalField(
        _("highest credits"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    min_attendance_percent = models.PositiveSmallIntegerField(
        _("minimum attendance (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "Per hour: when set, the holder gives the session's length and the minutes "
            "attended, and earns nothing below this share."
        ),
    )
    annual_cap = models.DecimalField(
        _("annual cap"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The most credits of this activity that count in one certification year."),
    )
    needs_approval = models.BooleanField(_("needs approval"), default=False)
    help_text = models.TextField(_("help text"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("activity type")
        verbose_name_plural = _("activity types")
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0), name="activity_rate_not_negative"),
            models.CheckConstraint(
                condition=Q(unit_size__gt=0), name="activity_unit_size_positive"
            ),
            models.CheckConstraint(
                condition=Q(quantity_step__gt=0), name="activity_quantity_step_positive"
            ),
            models.CheckConstraint(
                condition=Q(annual_cap__isnull=True) | Q(annual_cap__gt=0),
                name="activity_cap_positive",
            ),
            models.CheckConstraint(
                condition=(
                    Q(rule_kind=RuleKind.RANGE,
                      range_min__isnull=False, range_max__isnull=False,
                      range_min__gte=0, range_max__gte=models.F("range_min"))
                    | (~Q(rule_kind=RuleKind.RANGE)
                       & Q(range_min__isnull=True, range_max__isnull=True))
                ),
                name="activity_range_bounds_for_range_rule",
            ),
            models.CheckConstraint(
                condition=Q(min_attendance_percent__isnull=True)
                | Q(rule_kind=RuleKind.PER_HOUR, min_attendance_percent__gte=1,
                    min_attendance_percent__lte=100),
                name="activity_attendance_for_per_hour_rule",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def rule(self) -> Rule:
        return Rule(
            kind=RuleKind(self.rule_kind),
            rate=self.rate,
            unit_size=self.unit_size,
            quantity_step=self.quantity_step,
            range_min=self.range_min,
            range_max=self.range_max,
            min_attendance_percent=self.min_attendance_percent,
        )

    @property
    def amount_label(self) -> str:
        """The label of an entry's amount (per unit), with its unit."""
        if self.quantity_label:
            # Catalogue rows are stored in English; the migration marks their labels for
            # translation, so a translation file can carry them.
            return gettext(self.quantity_label)
        return capfirst(self.unit_label) or gettext("Amount")

    @property
    def rule_summary(self) -> str:
        return describe_rule(self.rule, unit_label=self.unit_label, annual_cap=self.annual_cap)

import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .enums import CLOSED_YEAR_STATES, CertificationStatus, Field, YearState
from .rules import YearWindow, year_containing, year_window


class CertificationLevel(models.Model):
    """Foundation, Practitioner, Expert, Certified Officer: each with its yearly requirement."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    required_credits = models.DecimalField(
        _("CPE required per certification year"), max_digits=6, decimal_places=2
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["position"]
        verbose_name = _("certification level")
        verbose_name_plural = _("certification levels")
        constraints = [
            models.CheckConstraint(
                condition=Q(required_credits__gte=0), name="level_requirement_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def requires_cpe(self) -> bool:
        return self.required_credits > 0


class CertificationTitle(models.Model):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.ForeignKey(
        CertificationLevel, on_delete=models.PROTECT, related_name="titles",
        verbose_name=_("level"),
    )
    field = models.CharField(_("field"), max_length=30, choices=Field.choices)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Retired titles are no longer awarded.")
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["field", "level__position", "name"]
        verbose_name = _("certification title")
        verbose_name_plural = _("certification titles")

    def __str__(self) -> str:
        return self.name


class Certification(models.Model):
    """A holder's certification of one title."""

    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certifications",
        verbose_name=_("holder"),
    )
    title = models.ForeignKey(
        CertificationTitle, on_delete=models.PROTECT, related_name="certifications",
        verbose_name=_("title"),
    )
    awarded_on = models.DateField(_("award date"))
    status = models.CharField(
        _("status"), max_length=12, choices=CertificationStatus.choices,
        default=CertificationStatus.ACTIVE,
    )
    decertified_on = models.DateField(_("decertified on"), null=True, blank=True)
    # The public verification link: random, so a badge id says nothing about any other.
    badge_id = models.UUIDField(_("badge id"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["holder", "awarded_on"]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        constraints = [
            models.UniqueConstraint(
                fields=["holder", "title"], name="certification_one_per_holder_and_title"
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=CertificationStatus.ACTIVE, decertified_on__isnull=True)
                    | Q(status=CertificationStatus.DECERTIFIED, decertified_on__isnull=False)
                ),
                name="certification_decertified_date_with_status",
            ),
            models.CheckConstraint(
                condition=Q(decertified_on__isnull=True) | Q(decertified_on__gte=F("awarded_on")),
                name="certification_decertified_after_award",
            ),
        ]
        indexes = [
            # The badges' status list (`credentials.selectors.status_list_bits`): the few
            # decertified certifications, read on every fetch of the list, however many
            # certifications there are.
            models.Index(fields=["id"], condition=Q(status=CertificationStatus.DECERTIFIED),
                         name="certification_decertified"),
        ]

    def __str__(self) -> str:
        return f"{self.title} — {self.holder}"

    @property
    def is_active(self) -> bool:
        return self.status == CertificationStatus.ACTIVE

    @property
    def collects_cpe(self) -> bool:
        """Active, at a level with a yearly requirement: its years count credits."""
        return self.is_active and self.title.level.requires_cpe

    # Certification years, with the reporting window the settings give.
    def year(self, number: int) -> YearWindow:
        return year_window(self.awarded_on, number,
                           grace_days=settings.CPE_REPORTING_GRACE_DAYS)

    def year_containing(self, day: date) -> YearWindow | None:
        """The year that contains `day`; None before the award."""
        return year_containing(self.awarded_on, day,
                               grace_days=settings.CPE_REPORTING_GRACE_DAYS)

    def years_through(self, day: date) -> list[YearWindow]:
        """Every year from the first to the one containing `day`, oldest first."""
        current = self.year_containing(day)
        return [self.year(n) for n in range(1, current.number + 1)] if current else []


class CertificationYear(models.Model):
    """One certification year of a certification, and the state of its close.

    Rows are kept for every year up to the current one, so that reminders and the year-end job
    find the years whose deadline falls on a day with one indexed query.
    """

    certification = models.ForeignKey(
        Certification, on_delete=models.CASCADE, related_name="years",
        verbose_name=_("certification"),
    )
    number = models.PositiveSmallIntegerField(_("year"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    deadline = models.DateField(_("reporting deadline"))
    required_credits = models.DecimalField(_("required credits"), max_digits=6, decimal_places=2)
    state = models.CharField(
        _("state"), max_length=10, choices=YearState.choices, default=YearState.OPEN
    )
    # The stored standing: kept by `submissions.standings.recount.recount_years` in the
    # transaction of every change that moves it, so that pages read it instead of counting the
    # year.
    counted_credits = models.DecimalField(
        _("counted credits"), max_digits=8, decimal_places=2, default=Decimal("0")
    )
    undecided_credits = models.DecimalField(
        _("credits awaiting a decision"), max_digits=8, decimal_places=2, default=Decimal("0")
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # What the close recorded: a closed year is a record, and its counted credits stay what
    # the close decided whatever is decided later on its entries (`recount_standings --check`
    # compares a closed year with this, not with a recount).
    counted_at_close = models.DecimalField(
        _("counted credits at the close"), max_digits=8, decimal_places=2, null=True,
        blank=True)
    # The first day the close held the year for decisions (state `waiting`): staff see the
    # held years, oldest first, and how long each has waited.
    held_since = models.DateField(_("held for decisions since"), null=True, blank=True)
    # Set when the Board changed the outcome of a closed year (an upheld appeal of its
    # decertification): the year was met by the Board's decision of this day.
    board_decided_on = models.DateField(_("met by the Board's decision of"), null=True,
                                        blank=True)

    class Meta:
        ordering = ["certification", "number"]
        verbose_name = _("certification year")
        verbose_name_plural = _("certification years")
        constraints = [
            models.UniqueConstraint(
                fields=["certification", "number"], name="certification_year_unique_number"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="certification_year_from_1"),
            models.CheckConstraint(
                condition=Q(starts_on__lte=F("ends_on")) & Q(ends_on__lte=F("deadline")),
                name="certification_year_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(required_credits__gte=0), name="certification_year_requirement"
            ),
            models.CheckConstraint(
                condition=Q(counted_credits__gte=0, undecided_credits__gte=0),
                name="certification_year_standing_not_negative",
            ),
        ]
        indexes = [
            # Reminders and the year-end job: "open years whose deadline is on/before D".
            models.Index(fields=["state", "deadline"], name="cert_year_state_deadline"),
            # The review queue: the held years an entry belongs to, found by its holder's
            # certifications among the few years held for decisions.
            models.Index(fields=["certification"], condition=Q(state="waiting"),
                         name="cert_year_held"),
        ]

    def __str__(self) -> str:
        return f"{self.certification} — {self.number} ({self.starts_on} to {self.ends_on})"

    @classmethod
    def for_window(cls, certification: Certification, window: YearWindow) -> "CertificationYear":
        """An unsaved row for one year of a certification, with its level's requirement."""
        return cls(certification=certification, number=window.number,
                   starts_on=window.starts_on, ends_on=window.ends_on, deadline=window.deadline,
                   required_credits=certification.title.level.required_credits)

    @property
    def window(self) -> YearWindow:
        return YearWindow(self.number, self.starts_on, self.ends_on, self.deadline)

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_YEAR_STATES

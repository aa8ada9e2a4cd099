from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import User
from activities.models import ActivityType
from activities.rules import INPUT_FIELDS, Inputs, amount_text
from certifications.models import Certification, CertificationYear
from common.storage import GeneratedName, private_storage

from .enums import STOPPED_BY_CHOICES, UNDECIDED_STATES, DenialKind, EntryState


class Entry(models.Model):
    """One CPE activity a holder logged, with what it earns under its activity type's rule."""

    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="entries",
        verbose_name=_("holder"),
    )
    activity_type = models.ForeignKey(
        ActivityType, on_delete=models.PROTECT, related_name="entries",
        verbose_name=_("activity type"),
    )
    activity_date = models.DateField(_("activity date"))
    title = models.CharField(_("title"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    # The inputs of the activity type's rule kind; the others stay empty.
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2, null=True, blank=True)
    length_minutes = models.PositiveIntegerField(_("session length (minutes)"), null=True,
                                                 blank=True)
    attended_minutes = models.PositiveIntegerField(_("minutes attended"), null=True, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=8, decimal_places=2, null=True,
                                   blank=True)
    proposed_credits = models.DecimalField(_("proposed credits"), max_digits=6, decimal_places=2,
                                           null=True, blank=True)
    # Computed when logged and kept: a later change of a rate does not rewrite history.
    claimed_credits = models.DecimalField(_("claimed credits"), max_digits=6, decimal_places=2)
    # Set when a reviewer approves a lower value than claimed (an adjustment).
    approved_credits = models.DecimalField(_("approved credits"), max_digits=6, decimal_places=2,
                                           null=True, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=EntryState.choices)
    relevance_confirmed = models.BooleanField(
        _("relevant and not part of my regular job"), default=False
    )
    logged_at = models.DateTimeField(_("logged at"), default=timezone.now)
    # The day the holder reported what the entry says (logged it, or last changed its activity,
    # date or amounts). An entry counts only toward the certification years whose deadline had
    # not passed on that day: a year past its deadline never changes because of a later entry.
    reported_on = models.DateField(_("reported on"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The log form's one-time token: the same form posted twice (a double click, a retry)
    # finds the entry the first post made instead of logging it again.
    form_token = models.UUIDField(_("form token"), null=True, blank=True, editable=False)
    # While proof is requested: the day it is due, and when the holder sent it.
    proof_due_on = models.DateField(_("proof due on"), null=True, blank=True)
    proof_submitted_at = models.DateTimeField(_("proof submitted at"), null=True, blank=True)

    # Every change of an entry, with who made it and when: the services pass the user
    # (`_history_user`), requests set it through simple_history's middleware. An entry's history
    # is read by the entry's id; the copies of its foreign keys need no index of their own,
    # which every logged entry would pay for.
    history = HistoricalRecords(excluded_fields=["form_token"],
                                no_db_index=["holder", "activity_type"])

    class Meta:
        ordering = ["-activity_date", "-logged_at"]
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        # What staff do beyond viewing and changing entries (accounts.roles gives them to the
        # roles). The names are stored as written: a permission's name is not updated.
        permissions = [
            ("review_entry", "Can review entries: approve, adjust, reject, request proof"),
            ("import_attendance", "Can import webinar attendance"),
            ("view_holder_overview", "Can view the holders overview"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(claimed_credits__gte=0),
                                   name="entry_claimed_not_negative"),
            models.CheckConstraint(
                condition=Q(approved_credits__isnull=True)
                | Q(approved_credits__gte=0, approved_credits__lte=F("claimed_credits")),
                name="entry_approved_within_claimed",
            ),
            models.CheckConstraint(condition=Q(hours__isnull=True) | Q(hours__gt=0),
                                   name="entry_hours_positive"),
            models.CheckConstraint(condition=Q(quantity__isnull=True) | Q(quantity__gt=0),
                                   name="entry_quantity_positive"),
            models.CheckConstraint(
                condition=Q(length_minutes__isnull=True) | Q(length_minutes__gt=0),
                name="entry_length_positive",
            ),
            models.CheckConstraint(
                condition=Q(attended_minutes__isnull=True)
                | Q(length_minutes__isnull=False, attended_minutes__lte=F("length_minutes")),
                name="entry_attended_within_length",
            ),
            models.CheckConstraint(
                condition=Q(proposed_credits__isnull=True) | Q(proposed_credits__gte=0),
                name="entry_proposed_not_negative",
            ),
            models.CheckConstraint(condition=Q(state__in=EntryState.values),
                                   name="entry_state_valid"),
            models.UniqueConstraint(fields=["holder", "form_token"],
                                    condition=Q(form_token__isnull=False),
                                    name="entry_one_per_form_token"),
        ]
        indexes = [
            # Counting a year (a holder's entries between two activity dates, in counting
            # order) and the entry list (a holder's entries, newest first, a page at a time);
            # what the log form's check sums comes from the index alone.
            models.Index(fields=["holder", "activity_date", "logged_at", "id"],
                         include=["state", "activity_type", "claimed_credits",
                                  "approved_credits", "reported_on"],
                         name="entry_holder_order"),
            # A year's credits awaiting a decision: the few entries in those states.
            models.Index(fields=["holder", "activity_date"],
                         condition=Q(state__in=sorted(UNDECIDED_STATES)),
                         name="entry_holder_undecided"),
            # The dashboard's proof owed: a holder's entries waiting for their proof, soonest
            # due first, the first ten read in order and all of them counted from the index.
            models.Index(fields=["holder", "proof_due_on", "activity_date", "id"],
                         condition=Q(state="proof_requested", proof_submitted_at__isnull=True),
                         name="entry_holder_owes_proof"),
            # And the credits of those entries in each of the holder's years (dated in it,
            # reported by its deadline), summed from the index alone.
            models.Index(fields=["holder", "activity_date"],
                         include=["reported_on", "claimed_credits", "approved_credits"],
                         condition=Q(state="proof_requested", proof_submitted_at__isnull=True),
                         name="entry_holder_owes_proof_by_day"),
            # The review queue: entries in a state, oldest first.
            models.Index(fields=["state", "logged_at"], name="entry_state_logged"),
            # The review queue's other half: requested proof that has arrived, oldest first.
            models.Index(fields=["proof_submitted_at"],
                         condition=Q(state="proof_requested", proof_submitted_at__isnull=False),
                         name="entry_proof_submitted"),
            # The admin's entry list: all entries, newest logged first, a page at a time.
            models.Index(fields=["logged_at", "id"], name="entry_admin_order"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({date_format(self.activity_date)})"

    @property
    def imported(self) -> bool:
        """Logged by staff from a webinar attendance list (`submissions.attendance`): imported
        entries carry a name-based (version 5) form token, the log form a random (version 4)
        one."""
        return self.form_token is not None and self.form_token.version == 5

    @property
    def credits(self) -> Decimal:
        """What the entry is worth when it counts: the approved value after an adjustment.
        `CREDITS` below is the same rule for queries."""
        return self.approved_credits if self.approved_credits is not None else self.claimed_credits

    @property
    def amount(self) -> str:
        """What the holder entered, in its unit (“250 pages”); empty for a fixed activity."""
        inputs = Inputs(**{name: getattr(self, name) for name in INPUT_FIELDS})
        return amount_text(self.activity_type.rule, inputs,
                           unit_label=self.activity_type.unit_label)


# What an entry is worth when it counts, as a query expression (see Entry.credits).
CREDITS = Coalesce("approved_credits", "claimed_credits")
# An entry waiting for its holder's proof: a reviewer asked for it, and none has come yet.
OWES_PROOF = Q(state=EntryState.PROOF_REQUESTED, proof_submitted_at__isnull=True)


class YearCredit(models.Model):
    """The stored standing of one counting entry in one certification year: how much of it
    counts there, and the cap that stopped the rest. Written only by
    `submissions.standings.recount.recount_years`; `recount_standings --check` compares it with a
    recount by `counting.count_year`."""

    year = models.ForeignKey(CertificationYear, on_delete=models.CASCADE, related_name="credits",
                             verbose_name=_("certification year"))
    entry = models.ForeignKey("Entry", on_delete=models.CASCADE, related_name="year_credits",
                              verbose_name=_("entry"))
    # The entry's activity type, kept here so a year's use of each capped activity is an
    # aggregate over this table alone.
    activity_type = models.ForeignKey(ActivityType, on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("activity type"))
    # The entry's date and credits when it was counted: a recount from a day reads what the
    # entries dated before it used from these rows, without reading those entries.
    activity_date = models.DateField(_("activity date"))
    credits = models.DecimalField(_("credits"), max_digits=8, decimal_places=2)
    counted = models.DecimalField(_("counted credits"), max_digits=8, decimal_places=2)
    stopped_by = models.CharField(_("stopped by"), max_length=20, choices=STOPPED_BY_CHOICES,
                                  blank=True)

    class Meta:
        verbose_name = _("counted credit")
        verbose_name_plural = _("counted credits")
        constraints = [
            models.UniqueConstraint(fields=["year", "entry"], name="year_credit_once_per_year"),
            models.CheckConstraint(condition=Q(counted__gte=0), name="year_credit_not_negative"),
        ]
        indexes = [
            # The recount: what a year's rows dated before a day used, by activity, and each
            # year's totals by activity, read from the index alone.
            models.Index(fields=["year", "activity_date"],
                         include=["activity_type", "credits", "counted"],
                         name="year_credit_by_date"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id} → {self.year_id}: {self.counted}"


class YearActivityTotal(models.Model):
    """What each activity counted in a certification year, in total: the dashboard's use of
    each capped activity and its chart, read without touching the year's entries. Kept with
    YearCredit by `submissions.standings.recount.recount_years`."""

    year = models.ForeignKey(CertificationYear, on_delete=models.CASCADE,
                             related_name="activity_totals",
                             verbose_name=_("certification year"))
    activity_type = models.ForeignKey(ActivityType, on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("activity type"))
    counted = models.DecimalField(_("counted credits"), max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = _("counted credits of an activity")
        verbose_name_plural = _("counted credits by activity")
        constraints = [
            models.UniqueConstraint(fields=["year", "activity_type"],
                                    name="year_activity_total_once"),
            models.CheckConstraint(condition=Q(counted__gte=0),
                                   name="year_activity_total_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.year_id} / {self.activity_type_id}: {self.counted}"


class HolderEntries(models.Model):
    """How many entries a holder has logged: the entry list's count, read as one row instead of
    counted over the holder's entries on every first view after a change. Kept by the database
    (triggers on the entries table, migration 0013), so that every way an entry is written,
    the services and bulk loads alike, keeps it in the same transaction."""

    holder = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  primary_key=True, related_name="+", verbose_name=_("holder"))
    entries = models.PositiveIntegerField(_("entries"), default=0)

    class Meta:
        verbose_name = _("holder's entry count")
        verbose_name_plural = _("holders' entry counts")
        # Written by the database alone: no one is given a right to change it.
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.holder_id}: {self.entries}"


class EntryStateChange(models.Model):
    """Who changed an entry's state, when, and why."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="state_changes",
                              verbose_name=_("entry"))
    from_state = models.CharField(_("from"), max_length=20, choices=EntryState.choices,
                                  blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=EntryState.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = _("state change")
        verbose_name_plural = _("state changes")

    def __str__(self) -> str:
        return f"{self.from_state or '—'} → {self.to_state}"


class ProofFile(models.Model):
    """Evidence for an entry. Stored privately under a generated name."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="proof_files",
                              verbose_name=_("entry"))
    file = models.FileField(_("file"), storage=private_storage, upload_to=GeneratedName("proof"),
                            max_length=200)
    original_name = models.CharField(_("original file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=50)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    # The upload form's one-time token: the same form posted twice stores its files once.
    form_token = models.UUIDField(_("form token"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("proof file")
        verbose_name_plural = _("proof files")
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="proof_not_empty"),
        ]

    def __str__(self) -> str:
        return self.original_name


def appeal_until(denied_on: date) -> date:
    """The last day a denial of `denied_on` may be appealed: the window's last day counts."""
    return denied_on + timedelta(days=settings.CPE_APPEAL_WINDOW_DAYS)


class Denial(models.Model):
    """A decision against a holder that they may appeal: a rejected entry, an adjusted credit
    value or a decertification. Review, the year-end close and the Board all make them through
    `submissions.services.record_denial`; appeals sit on top of them."""

    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="denials", verbose_name=_("holder"))
    kind = models.CharField(_("kind"), max_length=20, choices=DenialKind.choices)
    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="denials", verbose_name=_("entry"))
    certification = models.ForeignKey(Certification, on_delete=models.PROTECT, null=True,
                                      blank=True, related_name="denials",
                                      verbose_name=_("certification"))
    denied_on = models.DateField(_("date of denial"))
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-denied_on", "-pk"]
        verbose_name = _("denial")
        verbose_name_plural = _("denials")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=DenialKind.DECERTIFIED, certification__isnull=False)
                    | (~Q(kind=DenialKind.DECERTIFIED) & Q(entry__isnull=False))
                ),
                name="denial_names_what_was_denied",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.holder} ({self.denied_on})"

    @property
    def appeal_until(self) -> date:
        return appeal_until(self.denied_on)


class Audit(models.Model):
    """A random audit sample: a share of the holders with entries in a period, drawn
    reproducibly from a seed, asked for proof of their entries without proof (`entries`)."""

    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    percent = models.DecimalField(_("share of holders (%)"), max_digits=5, decimal_places=2)
    seed = models.CharField(_("seed"), max_length=100,
                            help_text=_("The same seed, period and share draw the same holders."))
    due_on = models.DateField(_("proof due on"))
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("drawn by"))
    drawn_at = models.DateTimeField(_("drawn at"), default=timezone.now)
    population = models.PositiveIntegerField(_("holders with entries in the period"))
    holders = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="audits",
                                     verbose_name=_("holders drawn"))
    requests = models.PositiveIntegerField(_("proof requests sent"))
    entries = models.ManyToManyField(Entry, related_name="audits", blank=True,
                                     verbose_name=_("entries asked for proof"))
    # The key of the preview the reviewer confirmed: a confirmation posted twice draws once.
    draw_key = models.UUIDField(_("draw key"), unique=True, null=True, blank=True,
                                editable=False)

    class Meta:
        ordering = ["-drawn_at", "-pk"]
        verbose_name = _("audit sample")
        verbose_name_plural = _("audit samples")
        constraints = [
            models.CheckConstraint(condition=Q(percent__gt=0, percent__lte=100),
                                   name="audit_percent_share"),
            models.CheckConstraint(condition=Q(period_start__lte=F("period_end")),
                                   name="audit_period_in_order"),
        ]

    def __str__(self) -> str:
        return f"{self.period_start} to {self.period_end}, {self.percent} %, {self.seed}"


class Reminder(models.Model):
    """A reminder that went out: of a certification year's deadline at one of
    `CPE_REMINDER_DAYS` before it, or of a proof request's deadline. Written in the transaction
    of its outbox message; the unique constraints make each reminder go out at most once."""

    year = models.ForeignKey(CertificationYear, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="reminders", verbose_name=_("certification year"))
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="reminders", verbose_name=_("entry"))
    days_before = models.PositiveSmallIntegerField(_("days before the deadline"))
    deadline = models.DateField(_("deadline"))
    sent_on = models.DateField(_("sent on"))
    message = models.ForeignKey("accounts.OutboxMessage", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("message"))

    class Meta:
        ordering = ["-sent_on", "-pk"]
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.CheckConstraint(condition=Q(year__isnull=True) ^ Q(entry__isnull=True),
                                   name="reminder_of_a_year_or_an_entry"),
            # Each (year, offset) at most once.
            models.UniqueConstraint(fields=["year", "days_before"], condition=Q(year__isnull=False),
                                    name="reminder_once_per_year_and_offset"),
            # Each proof request (an entry and its deadline) at most once.
            models.UniqueConstraint(fields=["entry", "deadline"], condition=Q(entry__isnull=False),
                                    name="reminder_once_per_proof_request"),
        ]

    def __str__(self) -> str:
        return f"{self.days_before} days before {self.deadline}"


class HolderManager(models.Manager["Holder"]):
    def get_queryset(self) -> models.QuerySet["Holder"]:
        # A holder is a user with a certification, active or not; staff without one are not.
        return super().get_queryset().filter(
            models.Exists(Certification.objects.filter(holder=models.OuterRef("pk"))))


class Holder(User):
    """A certificate holder as staff oversee them: the holders overview in the admin reads
    their certifications and the stored standings of their current years. No table of its own."""

    objects = HolderManager()

    class Meta:
        proxy = True
        verbose_name = _("holder")
        verbose_name_plural = _("holders")

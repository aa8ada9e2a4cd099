from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a certificate holder, or staff. The email address is the login."""

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Can sign in to the admin (reviewers, Board members, administrators)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Moves on with every change to what the holder's own pages show (entries, standings,
    # certifications): those pages are cached under it, so a change shows at once.
    records_version = models.PositiveBigIntegerField(_("records version"), default=0,
                                                     editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Sign-in, import and invitations all look holders up by email, ignoring case.
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>" if self.full_name else self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class ClaimedWork(models.Model):
    """A row of work done after a commit, once (a message to send, a job to run): a worker
    claims it before doing it (`claim`), so that two workers never both do it, and a claim
    older than the work can take is taken to belong to a worker that died. A failure gives the
    row back (`give_back`) with its error, for the next sweep."""

    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    # The field that says the work is done (a sent time, a done time).
    DONE_FIELD = ""

    class Meta:
        abstract = True

    @classmethod
    def claim(cls, pk: int, *, now: datetime, timeout: timedelta) -> bool:
        """Claim the row unless it is done or another worker holds it. Whether this did."""
        return bool(cls.objects.filter(
            models.Q(claimed_at__isnull=True) | models.Q(claimed_at__lt=now - timeout),
            pk=pk, **{f"{cls.DONE_FIELD}__isnull": True},
        ).update(claimed_at=now, attempts=models.F("attempts") + 1))

    @classmethod
    def give_back(cls, pk: int, *, error: BaseException) -> None:
        """Release a claimed row whose work failed, keeping the error."""
        cls.objects.filter(pk=pk).update(claimed_at=None, last_error=str(error)[:2000])


class OutboxMessage(ClaimedWork):
    """A message written in the transaction of the change it tells about, and sent after that
    change commits (`accounts.tasks.deliver_mail`, and a sweep that picks up what is left).
    A change that is rolled back leaves no message; a message is sent once (twice
    only when its sender died between handing it over and marking it sent)."""

    recipient = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="outbox_messages", verbose_name=_("recipient"))
    to = models.EmailField(_("to"))
    kind = models.CharField(_("kind"), max_length=60)
    # One message per event: a second attempt to write the same one writes nothing.
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, unique=True,
                                  null=True, blank=True)
    # Written rendered by a single change; a batch job writes `context` instead and the
    # message is rendered when it is sent (`deliver_message`), so that closing a hundred
    # thousand years renders nothing in the job.
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    DONE_FIELD = "sent_at"

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")
        indexes = [
            # The sweep: messages not sent yet, oldest first.
            models.Index(fields=["created_at"], condition=models.Q(sent_at__isnull=True),
                         name="outbox_unsent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to}"


class PendingJob(ClaimedWork):
    """Work a change promised to do once it commits (a recount after a cap or a requirement
    changed), written in the transaction of that change and done after it commits
    (`accounts.pending`): handed to a worker at once, or run by the sweep when the broker did
    not take it. A change that is rolled back leaves no job; a job is done once."""

    # The registered name of the Celery task that does the work, and its keyword arguments:
    # names stay when code moves, and this app need not import the apps above it.
    task = models.CharField(_("task"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    DONE_FIELD = "done_at"

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("pending job")
        verbose_name_plural = _("pending jobs")
        indexes = [
            # The sweep: jobs not done yet, oldest first.
            models.Index(fields=["created_at"], condition=models.Q(done_at__isnull=True),
                         name="pending_job_undone"),
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.kwargs}"


class DailyRun(models.Model):
    """A scheduled daily job that finished its work for a day (`accounts.daily`): the beat
    that sends it again that day, a second beat started by mistake or a retry, finds this row
    and does nothing. A run that crashed wrote none, so the next one resumes the work."""

    job = models.CharField(_("job"), max_length=100)
    day = models.DateField(_("day"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        ordering = ["-day", "job"]
        verbose_name = _("daily job run")
        verbose_name_plural = _("daily job runs")
        constraints = [
            models.UniqueConstraint(fields=["job", "day"], name="daily_run_once"),
        ]

    def __str__(self) -> str:
        return f"{self.job} {self.day.isoformat()}"

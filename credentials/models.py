import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_feed_token() -> str:
    """An unguessable token for a feed's address: 32 random bytes, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A holder's private calendar address: whoever has the token reads the holder's CPE dates,
    so the holder can replace it (`reset`), and the old address answers 404 at once."""

    holder = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="calendar_feed", verbose_name=_("holder"))
    # Unique, so the feed is found by its token through the unique index, never by comparing
    # tokens one by one.
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_feed_token,
                             editable=False)
    # Moves on with each reset: the reset form carries the generation it was shown with, so a
    # form posted twice resets once.
    generation = models.PositiveIntegerField(_("generation"), default=1, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    reset_at = models.DateTimeField(_("address last reset"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return str(_("Calendar feed of holder %(id)s") % {"id": self.holder_id})


class StatusListSlot(models.Model):
    """A certification's place in the status list: the index its credential's status entry
    names, drawn at random among the free ones the first time its credential is issued, and
    never given to another (a credential issued once keeps pointing at it).

    The bit at the index is the certification's status itself: set while it is decertified
    (or if it no longer exists), clear while it is active. So it changes in the very
    transaction of `certifications.services.decertify_certifications` and
    `reinstate_certification`, the only writers of that status, and no copy of it can lag."""

    # Kept if the certification is ever deleted: its credentials then read as revoked, and its
    # index is not drawn again.
    certification = models.OneToOneField(
        "certifications.Certification", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="status_list_slot", verbose_name=_("certification"))
    index = models.PositiveIntegerField(_("status list index"), unique=True, editable=False)
    assigned_at = models.DateTimeField(_("assigned"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("status list slot")
        verbose_name_plural = _("status list slots")
        indexes = [
            # The status list (`selectors.status_list_bits`): the slots of certifications that
            # no longer exist, read on every fetch of the list without a pass over every slot.
            models.Index(fields=["index"], condition=models.Q(certification__isnull=True),
                         name="status_slot_orphaned"),
        ]

    def __str__(self) -> str:
        return str(_("Status list index %(index)s") % {"index": self.index})

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

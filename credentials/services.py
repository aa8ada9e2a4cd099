"""Writes for the holder's credentials: the private calendar address."""

from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .models import CalendarFeed, new_feed_token


@transaction.atomic
def create_calendar_feed(*, holder: User) -> CalendarFeed:
    """The holder's calendar address, made if there is none yet.

    Side effects: one CalendarFeed row with a new random token, the first time; a second call
    (the form posted twice) finds that row and changes nothing."""
    feed, _created = CalendarFeed.objects.get_or_create(holder=holder)
    return feed


@transaction.atomic
def reset_calendar_feed(*, holder: User, generation: int) -> CalendarFeed | None:
    """Replace the holder's calendar address with a new one, if the holder saw the address of
    `generation` (the current one): the form posted twice resets once.

    Side effects: the feed's token replaced (the old address answers 404 from this commit on),
    its generation moved on and its reset time set. Returns the feed, or None when the holder
    has none."""
    feed = CalendarFeed.objects.select_for_update().filter(holder=holder).first()
    if feed is None:
        return None
    if feed.generation != generation:
        return feed
    feed.token, feed.generation, feed.reset_at = (new_feed_token(), feed.generation + 1,
                                                  timezone.now())
    feed.full_clean()
    feed.save(update_fields=["token", "generation", "reset_at"])
    return feed

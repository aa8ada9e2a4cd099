"""Writes for the holder's credentials: the private calendar address, and the Open Badges
credential of a certification with its place in the status list."""

import random
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from accounts.models import User
from certifications.models import Certification

from . import openbadges
from .models import CalendarFeed, StatusListSlot, new_feed_token
from .signing import issuer_profile, sign, status_list_url

# Indexes drawn per try: with at most a quarter of the places taken, all of them are taken
# about once in 4 billion tries.
DRAWN = 16
TRIES = 5


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


def _free_indexes() -> list[int]:
    """Indexes no certification holds, drawn at random (the Bitstring Status List spec asks
    for it: a position then says nothing about when it was given or how many there are) among
    at least four times as many places as are taken, so most draws are free and the list grows
    one block at a time as slots are given out. Two queries."""
    taken = StatusListSlot.objects.count()
    places = openbadges.list_length(4 * (taken + 1) - 1)
    drawn = random.SystemRandom().sample(range(places), DRAWN)
    used = set(StatusListSlot.objects.filter(index__in=drawn).values_list("index", flat=True))
    return [index for index in drawn if index not in used]


@transaction.atomic
def assign_status_list_index(*, certification: Certification) -> int:
    """The certification's index in the status list: the one it has, or a free one drawn now
    (the first time its credential is issued), kept for good.

    Side effects: a StatusListSlot row, the first time. The certification's row is locked
    while it is given one, so two first requests at once give it one index; an index another
    certification took between the draw and the insert is drawn again."""
    Certification.objects.select_for_update().filter(pk=certification.pk).values_list(
        "pk").get()
    held = StatusListSlot.objects.filter(certification=certification).values_list(
        "index", flat=True).first()
    if held is not None:
        return held
    for _try in range(TRIES):
        for index in _free_indexes():
            slot = StatusListSlot(certification=certification, index=index)
            try:
                with transaction.atomic():
                    slot.full_clean(validate_unique=False)
                    slot.save()
            except IntegrityError:
                continue
            return index
    raise RuntimeError("No free status list index was found.")


@dataclass(frozen=True)
class IssuedCredential:
    """A certification's credential: `credential` the OpenBadgeCredential as JSON data, `jwt`
    the same signed (a VC-JWT, EdDSA), which is what a verifier checks."""

    credential: dict[str, object]
    jwt: str


def issue_badge_credential(*, certification: Certification) -> IssuedCredential:
    """The certification's Open Badges 3.0 credential, signed with the first key of
    `CPE_CREDENTIAL_KEYS`. A decertified certification's credential is issued too: its status
    entry says it is revoked. The same certification, settings and key give the same token,
    so a credential fetched twice is the same credential. `certification` comes with its
    holder, title and level (`selectors.badge_certification`).

    Side effects: the certification's status list index, the first time (see
    `assign_status_list_index`)."""
    slot = getattr(certification, "status_list_slot", None)
    index = slot.index if slot is not None else assign_status_list_index(
        certification=certification)
    title = certification.title
    facts = openbadges.CertificationFacts(
        badge_id=certification.badge_id, holder_pk=certification.holder_id,
        holder_name=certification.holder.full_name, title_code=title.code,
        title_name=title.name, level_name=title.level.name,
        required_credits=title.level.required_credits, field_name=str(title.get_field_display()),
        awarded_on=certification.awarded_on, status_list_index=index)
    rules = openbadges.CpeRules(grace_days=settings.CPE_REPORTING_GRACE_DAYS,
                                cap_from=settings.CPE_SUBMISSION_CAP_FROM,
                                cap_factor=settings.CPE_SUBMISSION_CAP_FACTOR)
    the_issuer = issuer_profile()
    # In the portal's own language whoever asks: a signed credential is one text.
    with translation.override(settings.LANGUAGE_CODE):
        credential = openbadges.open_badge_credential(
            facts, issuer=the_issuer, rules=rules, status_list_url=status_list_url())
    claims = openbadges.jwt_claims(credential, valid_from=openbadges.valid_from(
        certification.awarded_on, the_issuer.time_zone))
    return IssuedCredential(credential=credential, jwt=sign(claims))

"""Reads for the holder's credentials.

The calendar: every CPE date that matters to the holder, from the stored standings and the
record as it is (no recounting), in a fixed number of queries however many certifications,
years, entries or appeals the holder has.

The badges: the certification behind a badge id, and the revocation list, read from the
certifications' status as it is, in two queries however many there are."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max, OuterRef, Subquery
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from activities.rules import credits_text
from appeals.enums import OPEN_APPEAL_STATES
from appeals.models import Appeal
from certifications.enums import UNCLOSED_YEAR_STATES, CertificationStatus, YearState
from certifications.models import Certification
from common.mail import site_url
from submissions.enums import DenialKind
from submissions.models import OWES_PROOF, Entry
from submissions.reminders import reminder_offsets
from submissions.selectors.holder import YearStanding, certification_standings

from . import openbadges
from .baking import BadgeText
from .models import CalendarFeed, StatusListSlot
from .signing import (
    InvalidSignature,
    issuer_keys,
    issuer_profile,
    key_id,
    sign,
    status_list_url,
    verify,
)


@dataclass(frozen=True)
class CalendarDate:
    """One all-day event of the holder's calendar. `uid` names the record and the kind of date
    (never the date itself), so a calendar that subscribed updates the event when the date or
    its text changes instead of adding another."""

    uid: str
    day: date
    summary: str
    description: str
    url: str


def feed_for_token(token: str) -> CalendarFeed | None:
    """The feed with this token, with its holder; None for an unknown or replaced token. One
    query, by the token's unique index."""
    return CalendarFeed.objects.select_related("holder").filter(token=token).first()


def _year_dates(year: YearStanding, *, today: date) -> list[CalendarDate]:
    """A certification year's end and reporting deadline and, while the year is open and short
    of its requirement, the days the portal mails a reminder of its deadline."""
    certification, window = year.certification, year.window
    key = f"{certification.pk}-{window.number}"
    url = site_url("submissions:year_detail", certification.pk, window.number)
    names = {"title": certification.title.name, "number": window.number,
             "deadline": date_format(window.deadline), "end": date_format(window.ends_on),
             "counted": credits_text(year.counted, always_places=True),
             "required": credits_text(year.requirement, always_places=True),
             "missing": credits_text(year.missing, always_places=True)}
    dates = [
        CalendarDate(
            f"year-end-{key}", window.ends_on,
            _("Last day of certification year %(number)s: %(title)s") % names,
            _("Activities up to this day count toward year %(number)s of %(title)s; you can "
              "log them until the reporting deadline, %(deadline)s. Counted so far: "
              "%(counted)s of %(required)s credits.") % names, url),
        CalendarDate(
            f"year-deadline-{key}", window.deadline,
            _("CPE reporting deadline: %(title)s, year %(number)s") % names,
            _("The last day to log activities of year %(number)s of %(title)s (it ended on "
              "%(end)s). Counted so far: %(counted)s of %(required)s credits.") % names, url),
    ]
    # What the reminder job mails (submissions.reminders): open years below their requirement,
    # up to their deadline; once the year is met the reminders leave the calendar.
    if year.state == YearState.OPEN and not year.met and window.deadline >= today:
        for days in reversed(reminder_offsets()):
            dates.append(CalendarDate(
                f"year-reminder-{key}-{days}", window.deadline - timedelta(days=days),
                _("CPE reminder: %(missing)s credits missing for %(title)s") % names,
                _("If year %(number)s of %(title)s is still short of its requirement on this "
                  "day, the portal mails you a reminder: %(counted)s of %(required)s credits "
                  "counted, %(missing)s missing, reporting deadline %(deadline)s.") % names,
                url))
    return dates


def _years(holder: User, today: date) -> list[CalendarDate]:
    """The years still open for logging of each certification that collects CPE, and a year
    past its deadline that is held for decisions."""
    dates: list[CalendarDate] = []
    for standing in certification_standings(holder=holder, today=today):
        if not standing.certification.collects_cpe:
            continue
        years = {year.window.number: year for year in standing.years}
        held = standing.year_end
        if held is not None and held.state in UNCLOSED_YEAR_STATES:
            years.setdefault(held.window.number, held)
        for _number, year in sorted(years.items()):
            dates += _year_dates(year, today=today)
    return dates


def _proof_requests(holder: User) -> list[CalendarDate]:
    """The due date of every entry whose proof a reviewer asked for and the holder has not sent
    yet. One query, by the partial index of undecided entries."""
    rows = (Entry.objects.filter(OWES_PROOF, holder_id=holder.pk, proof_due_on__isnull=False)
            .order_by("proof_due_on", "pk")
            .values_list("pk", "title", "activity_date", "proof_due_on"))
    return [CalendarDate(
        f"proof-due-{pk}", due_on,
        _("Proof due: “%(title)s”") % {"title": title},
        _("A reviewer asked for proof of “%(title)s” (%(date)s). Upload it by this day: "
          "without it the entry is rejected.") % {"title": title,
                                                  "date": date_format(activity_date)},
        site_url("submissions:entry_detail", pk)) for pk, title, activity_date, due_on in rows]


def appeal_subject(appeal: Appeal) -> str:
    """What an appeal is about, in plain words."""
    denial = appeal.denial
    if denial.kind == DenialKind.DECERTIFIED:
        return _("your appeal against the decertification of %(title)s") % {
            "title": denial.certification.title.name}
    if denial.kind == DenialKind.CREDITS_ADJUSTED:
        return _("your appeal against the lower credit value given to “%(entry)s”") % {
            "entry": denial.entry.title}
    return _("your appeal against the rejection of “%(entry)s”") % {"entry": denial.entry.title}


def _board_meetings(holder: User) -> list[CalendarDate]:
    """The Board meeting of each of the holder's open appeals that has one. One query."""
    appeals = (Appeal.objects
               .filter(denial__holder_id=holder.pk, state__in=sorted(OPEN_APPEAL_STATES),
                       meeting__isnull=False)
               .select_related("meeting", "denial__entry", "denial__certification__title")
               .order_by("meeting__meets_on", "pk"))
    dates = []
    for appeal in appeals:
        subject = appeal_subject(appeal)
        dates.append(CalendarDate(
            f"appeal-meeting-{appeal.pk}", appeal.meeting.meets_on,
            _("Board meeting: %(subject)s") % {"subject": subject},
            _("The Board decides %(subject)s at its meeting of %(date)s. You receive its "
              "decision by mail.") % {"subject": subject,
                                      "date": date_format(appeal.meeting.meets_on)},
            site_url("appeals:denial_detail", appeal.denial_id)))
    return dates


def calendar_dates(*, holder: User, today: date) -> list[CalendarDate]:
    """Every date of the holder's calendar, by day: each open year's end and reporting
    deadline, the reminder days of the open years below their requirement, the due date of
    each proof request, and the Board meeting of each open appeal. Six queries, however many
    rows."""
    dates = _years(holder, today) + _proof_requests(holder) + _board_meetings(holder)
    return sorted(dates, key=lambda event: (event.day, event.uid))


def badge_certification(badge_id: uuid.UUID) -> Certification | None:
    """The certification of a badge id, with what its credential says (holder, title, level,
    status list slot); None for an unknown id. One query."""
    return (Certification.objects
            .select_related("holder", "title__level", "status_list_slot")
            .filter(badge_id=badge_id).first())


def badge_text(certification: Certification) -> BadgeText:
    """What the badge image says, as the verification page says it (`certification` as
    `badge_certification` reads it)."""
    return BadgeText(title=certification.title.name, level=certification.title.level.name,
                     holder=certification.holder.full_name, issuer=settings.CPE_ISSUER_NAME,
                     awarded=_("Awarded %(date)s") % {
                         "date": date_format(certification.awarded_on)})


def status_list_bits() -> bytes:
    """The revocation list's bits: set for each slot whose certification is decertified (or
    gone), long enough for the highest index given out. Two queries, whatever the number of
    certifications: the bits are the status itself, read as it is committed."""
    top = StatusListSlot.objects.aggregate(top=Max("index"))["top"] or 0
    # Two arms, each read by a partial index (`certification_decertified`,
    # `status_slot_orphaned`): the decertified certifications, few, each with its slot found
    # by one probe of the slots' unique index (a join would pass over every slot: 17 ms for
    # 150,000, against 2.5 ms), and the slots of certifications no longer there.
    decertified = (Certification.objects.filter(status=CertificationStatus.DECERTIFIED)
                   .order_by().values_list(Subquery(StatusListSlot.objects.filter(
                       certification=OuterRef("pk")).values("index")), flat=True))
    revoked = [index for index in decertified.union(
        StatusListSlot.objects.filter(certification__isnull=True).values_list("index", flat=True),
        all=True) if index is not None]
    # A slot given out between the two reads may lie past the highest index read first.
    return openbadges.bitstring(revoked, openbadges.list_length(max([top, *revoked])))


# How long a signed list is kept: its key names everything it was made from, so a changed list
# is never served from the cache; this only frees the memory of lists no longer current.
STATUS_LIST_CACHE_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class SignedStatusList:
    jwt: str
    # A digest of all the token is made from (bits, key, address): its ETag.
    digest: str


def signed_status_list() -> SignedStatusList:
    """The revocation list as a signed BitstringStatusListCredential (a VC-JWT). Signed once
    per content and kept in the cache under a digest of the bits, the signing key and the
    address: a decertification or reinstatement changes the bits, so the next request gets a
    list that shows it, and a key rotation gets a list signed with the new key."""
    bits = status_list_bits()
    url = status_list_url()
    digest = hashlib.sha256(
        b"\0".join([bits, key_id(issuer_keys().signing).encode(), url.encode()])).hexdigest()
    cache_key = f"credentials:status-list:{digest}"
    jwt = cache.get(cache_key)
    if jwt is None:
        credential = openbadges.status_list_credential(url=url, issuer=issuer_profile(), bits=bits)
        jwt = sign(openbadges.jwt_claims(credential))
        cache.set(cache_key, jwt, STATUS_LIST_CACHE_SECONDS)
    return SignedStatusList(jwt=jwt, digest=digest)


@dataclass(frozen=True)
class CredentialCheck:
    """What the portal's own verification says of a credential: `verifies` when its signature
    is one of the issuer's published keys' and its status could be read; then `revoked` says
    whether its bit is set in the status list. `problem` says why it does not verify."""

    verifies: bool
    issuer_name: str = ""
    revoked: bool = False
    problem: str = ""


def check_credential(token: str) -> CredentialCheck:
    """Verify a credential (a VC-JWT) as a verifier would, with the portal's published keys
    (the DID document's) and its status list as served: the signature, then the signed status
    list the credential names, then the credential's bit in it. Three queries at most (the
    status list's two, when it is not cached)."""
    try:
        claims = verify(token)
    except InvalidSignature:
        return CredentialCheck(verifies=False,
                               problem=_("its signature is not one of the issuer’s keys"))
    issuer = claims.get("issuer")
    issuer_name = str(issuer.get("name", "")) if isinstance(issuer, dict) else str(issuer)
    entry = claims.get("credentialStatus")
    if not isinstance(entry, dict) or entry.get("statusListCredential") != status_list_url():
        return CredentialCheck(verifies=False, issuer_name=issuer_name,
                               problem=_("it names no status list of this issuer"))
    try:
        listed = verify(signed_status_list().jwt)
        revoked = openbadges.bit_is_set(
            openbadges.decoded_list(str(listed["credentialSubject"]["encodedList"])),
            int(str(entry.get("statusListIndex"))))
    except (InvalidSignature, KeyError, TypeError, ValueError):
        return CredentialCheck(verifies=False, issuer_name=issuer_name,
                               problem=_("its status cannot be read"))
    return CredentialCheck(verifies=True, issuer_name=issuer_name, revoked=revoked)

"""What the Board reads to decide an appeal, and what waits for a Board meeting."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import groupby
from operator import attrgetter

from django.conf import settings
from django.db.models import Count, F, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from certifications.enums import YearState
from certifications.models import CertificationYear
from submissions.enums import DenialKind
from submissions.models import Entry, ProofFile

from .enums import AppealState
from .models import Appeal, BoardMeeting
from .rules import earliest_meeting_day


@dataclass(frozen=True)
class CaseEntry:
    """The entry an appeal is about, as the Board reads it."""

    entry: Entry
    amount: str
    proof_files: list[ProofFile]


@dataclass(frozen=True)
class Case:
    """An appeal's case: the decision under appeal, and the entry or the certification years it
    is about. `credits_floor` is what an upheld appeal must count the entry above (the adjusted
    value; 0 for a rejection); None for a decertification, where no credits are set."""

    appeal: Appeal
    kind: str
    entry: CaseEntry | None = None
    years: list[CertificationYear] = field(default_factory=list)
    credits_floor: Decimal | None = None

    @property
    def is_decertification(self) -> bool:
        return self.kind == DenialKind.DECERTIFIED


def appeal_case(appeal: Appeal) -> Case:
    """The Board's view of `appeal` in a fixed number of queries: the denial with its reason,
    then the entry (its activity, amount, credits and proof files) or, for a decertification,
    the years the close decided against the holder (or the Board has since met), with their
    requirement and the credits counted then and now."""
    denial = appeal.denial
    if denial.kind == DenialKind.DECERTIFIED:
        years = list(
            CertificationYear.objects.filter(certification_id=denial.certification_id)
            .filter(Q(state=YearState.NOT_MET) | Q(board_decided_on__isnull=False))
            .annotate(short_by=F("required_credits") - F("counted_at_close"))
            .order_by("number"))
        return Case(appeal=appeal, kind=denial.kind, years=years)
    entry = (Entry.objects.select_related("activity_type")
             .prefetch_related("proof_files").get(pk=denial.entry_id))
    floor = (entry.approved_credits if denial.kind == DenialKind.CREDITS_ADJUSTED
             and entry.approved_credits is not None else Decimal("0"))
    return Case(appeal=appeal, kind=denial.kind, credits_floor=floor,
                entry=CaseEntry(entry=entry,
                                amount=entry.amount or _("a fixed value for the activity"),
                                proof_files=list(entry.proof_files.all())))


@dataclass(frozen=True)
class Waiting:
    """The appeals that wait for a Board meeting: how many, and the first day a meeting could
    take the earliest filed of them (the preparation period after its filing)."""

    count: int
    first_meeting_day: date | None


def waiting_for_a_meeting(*, today: date) -> Waiting:
    """Filed appeals with no meeting to go to, in one query; the first meeting day is never
    before `today`."""
    found = Appeal.objects.filter(state=AppealState.FILED).aggregate(
        count=Count("pk"), first_filed=Min("filed_at"))
    first = found["first_filed"]
    return Waiting(count=found["count"], first_meeting_day=None if first is None else max(
        today, earliest_meeting_day(filed_on=timezone.localdate(first),
                                    preparation_days=settings.CPE_APPEAL_PREPARATION_DAYS)))


@dataclass(frozen=True)
class Agenda:
    """A Board meeting and the appeals on its agenda that the Board has still to decide."""

    meeting: BoardMeeting
    appeals: list[Appeal]


def open_agendas() -> list[Agenda]:
    """The meetings with appeals still to decide, by date, each with its appeals in the order
    they were filed (the admin's front page shows them to the Board). One query."""
    appeals = (Appeal.objects.filter(state=AppealState.SCHEDULED)
               .select_related("meeting", "denial__holder", "denial__entry",
                               "denial__certification__title")
               .order_by("meeting__meets_on", "filed_at", "pk"))
    return [Agenda(meeting, list(group))
            for meeting, group in groupby(appeals, key=attrgetter("meeting"))]

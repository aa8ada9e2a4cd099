"""The stored standings equal a recount by the pure `count_year` after every change, and a year
past its reporting deadline never changes because of a later entry."""

import contextlib
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from accounts.models import User
from accounts.roles import BOARD, REVIEWER
from appeals.enums import OPEN_APPEAL_STATES
from appeals.models import Appeal
from appeals.services import decide_appeal, file_appeal
from certifications.enums import CLOSED_YEAR_STATES, CertificationStatus, YearState
from certifications.models import CertificationYear
from certifications.services import ensure_certification_years
from submissions.enums import COUNTING_STATES, EntryState
from submissions.models import Denial, Entry, YearCredit
from submissions.review import (
    adjust_entry,
    approve_entry,
    draw_audit_sample,
    reject_entry,
    request_proof,
)
from submissions.services import (
    EntryDetails,
    log_entry,
    recount_after_catalogue_change,
    update_entry,
    withdraw_entry,
)
from submissions.standings.check import check_standings
from submissions.standings.recount import recount_years
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity, title
from tests.staff import make_staff
from yearend.closing import close_certification_years

D = Decimal
pytestmark = pytest.mark.django_db
QUARTERS = st.integers(min_value=1, max_value=48).map(lambda n: D(n) / 4)

# What a holder might log: an activity code and the inputs its rule reads. Capped activities,
# one that waits for approval, rates that divide (podcasts), a range and a course big enough to
# reach the annual submission cap.
ACTIVITIES = st.one_of(
    st.tuples(st.just("attend-webinar"), st.integers(1, 40).map(
        lambda q: {"length_minutes": q * 15, "attended_minutes": q * 15})),
    st.tuples(st.just("other-course"), QUARTERS.map(lambda h: {"hours": h})),
    st.tuples(st.just("forum-moderator"), QUARTERS.map(lambda h: {"hours": h})),
    st.tuples(st.just("mentor"), QUARTERS.map(lambda h: {"hours": h})),
    st.tuples(st.just("read-books"), st.integers(50, 400).map(lambda p: {"quantity": D(p)})),
    st.tuples(st.just("listen-podcasts"), QUARTERS.map(lambda h: {"quantity": h})),
    st.tuples(st.just("seco-short-course"), st.just({})),
    st.tuples(st.just("seco-expert-course"), st.just({})),
    st.tuples(st.just("give-webinar"), st.integers(500, 600).map(
        lambda c: {"proposed_credits": D(c) / 100})),
)


def stored_year(year: CertificationYear) -> tuple:
    return (year.counted_credits, year.undecided_credits, tuple(
        YearCredit.objects.filter(year=year).order_by("entry_id")
        .values_list("entry_id", "counted", "stopped_by")))


class StandingsMachine(RuleBasedStateMachine):
    """One holder with a Practitioner, an Expert and a Foundation certification whose years
    begin on different days, before and after the submission cap began, logging, editing and
    withdrawing while the days go by; reviewers decide, request proof and draw audits; the
    close runs on the days it is called; the holder appeals and the Board upholds or
    dismisses. After every step the stored standings equal a recount, every closed year says
    what it closed with (its outcome changed only by the Board) and nothing counts toward a
    decertified certification."""

    entries = Bundle("entries")

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.holder = UserFactory()
        CertificationFactory(holder=self.holder, title=title("ISP"), awarded_on=date(2024, 1, 1))
        CertificationFactory(holder=self.holder, title=title("ISE"), awarded_on=date(2024, 7, 1))
        CertificationFactory(holder=self.holder, title=title("DPF"), awarded_on=date(2024, 2, 1))
        self.today = date(2024, 9, 1)
        # Each closed year's state and counted credits when it was first seen closed.
        self.closed: dict[int, tuple] = {}
        self.staff: dict[str, User] = {}

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    def _details(self, code: str, inputs: dict, days_ago: int, words: str) -> EntryDetails:
        return EntryDetails.from_data({
            "activity_type": activity(code), "activity_date": self.today - timedelta(days_ago),
            "title": f"Activity {words}", "relevance_confirmed": True, **inputs})

    @initialize(target=entries, activity=ACTIVITIES, days_ago=st.integers(0, 60))
    def first_entry(self, activity: tuple[str, dict], days_ago: int) -> Entry | None:
        return self.log(activity, days_ago)

    @rule(target=entries, activity=ACTIVITIES, days_ago=st.integers(0, 200))
    def log(self, activity: tuple[str, dict], days_ago: int) -> Entry | None:
        code, inputs = activity
        try:
            return log_entry(holder=self.holder, today=self.today,
                             details=self._details(code, inputs, days_ago, "logged"))
        except ValidationError:
            return None

    @rule(entry=entries, activity=ACTIVITIES, days_ago=st.integers(0, 200),
          words_only=st.booleans())
    def edit(self, entry: Entry | None, activity: tuple[str, dict], days_ago: int,
             words_only: bool) -> None:
        if entry is None:
            return
        entry.refresh_from_db()
        if words_only:
            details = EntryDetails.from_data({
                **{name: getattr(entry, name) for name in (
                    "activity_type", "activity_date", "hours", "length_minutes",
                    "attended_minutes", "quantity", "proposed_credits")},
                "title": "Renamed", "relevance_confirmed": True})
        else:
            details = self._details(*activity, days_ago, "edited")
        with contextlib.suppress(ValidationError):
            update_entry(entry=entry, by=self.holder, details=details, today=self.today)

    @rule(entry=entries)
    def withdraw(self, entry: Entry | None) -> None:
        if entry is None:
            return
        with contextlib.suppress(ValidationError):
            withdraw_entry(entry=entry, by=self.holder, reason="Changed my mind",
                           today=self.today)

    @rule(days=st.integers(1, 120))
    def days_go_by(self, days: int) -> None:
        self.today = min(self.today + timedelta(days=days), date(2026, 12, 31))

    @invariant()
    def stored_standings_equal_a_recount(self) -> None:
        differences = [str(d) for d in check_standings(User.objects.filter(pk=self.holder.pk))]
        assert differences == []

    @invariant()
    def every_year_that_counts_has_its_row(self) -> None:
        rows = {(y.certification_id, y.number)
                for y in CertificationYear.objects.filter(certification__holder=self.holder)}
        certifications = list(self.holder.certifications.select_related("title__level"))
        for entry in Entry.objects.filter(holder=self.holder, state__in=COUNTING_STATES):
            for certification in certifications:
                window = certification.year_containing(entry.activity_date)
                if (certification.collects_cpe and window is not None
                        and window.deadline >= entry.reported_on):
                    assert (certification.pk, window.number) in rows

    # --- Staff decide, the close runs, the Board hears appeals ------------------------------

    def _staff(self, role: str) -> User:
        if role not in self.staff:
            self.staff[role] = make_staff(role)
        return self.staff[role]

    @rule(entry=entries, decision=st.sampled_from(["approve", "adjust", "reject", "proof"]),
          share=st.integers(0, 99))
    def decide(self, entry: Entry | None, decision: str, share: int) -> None:
        if entry is None:
            return
        entry.refresh_from_db()
        reviewer = self._staff(REVIEWER)
        with contextlib.suppress(ValidationError):
            if decision == "approve":
                approve_entry(entry=entry, by=reviewer, today=self.today)
            elif decision == "adjust":
                adjust_entry(entry=entry, by=reviewer, today=self.today, reason="Less",
                             credits=(entry.claimed_credits * share / 100).quantize(D("0.01")))
            elif decision == "reject":
                reject_entry(entry=entry, by=reviewer, reason="Not relevant", today=self.today)
            else:
                request_proof(entry=entry, by=reviewer, today=self.today)

    @rule(days=st.integers(30, 400), seed=st.sampled_from(["a", "b"]))
    def audit(self, days: int, seed: str) -> None:
        draw_audit_sample(period_start=self.today - timedelta(days=days), period_end=self.today,
                          percent=D(100), seed=seed, by=self._staff(REVIEWER), today=self.today)

    @rule()
    def close(self) -> None:
        close_certification_years(today=self.today)

    @rule(pick=st.integers(0, 20))
    def appeal(self, pick: int) -> None:
        denials = list(Denial.objects.filter(holder=self.holder, appeal__isnull=True)
                       .order_by("pk"))
        if denials:
            with contextlib.suppress(ValidationError):
                file_appeal(denial=denials[pick % len(denials)], by=self.holder,
                            today=self.today, rationale="The decision is wrong.")

    @rule(pick=st.integers(0, 20), upheld=st.booleans())
    def board_decides(self, pick: int, upheld: bool) -> None:
        appeals = list(Appeal.objects.filter(denial__holder=self.holder,
                                             state__in=OPEN_APPEAL_STATES).order_by("pk"))
        if appeals:
            decide_appeal(appeal=appeals[pick % len(appeals)], by=self._staff(BOARD),
                          upheld=upheld, reason="Heard at the meeting.")

    @invariant()
    def a_closed_year_stays_as_it_closed_unless_the_board_changed_it(self) -> None:
        for year in CertificationYear.objects.filter(certification__holder=self.holder,
                                                     state__in=CLOSED_YEAR_STATES):
            first = self.closed.setdefault(year.pk, (year.state, year.counted_credits))
            assert year.counted_credits == first[1] == year.counted_at_close, year
            if year.board_decided_on is None:
                assert year.state == first[0], year
            else:
                assert (first[0], year.state) in {(YearState.NOT_MET, YearState.MET),
                                                  (YearState.MET, YearState.MET)}, year

    @invariant()
    def nothing_counts_toward_a_decertified_certification(self) -> None:
        open_years = CertificationYear.objects.filter(
            certification__holder=self.holder,
            certification__status=CertificationStatus.DECERTIFIED).exclude(
            state__in=CLOSED_YEAR_STATES)
        assert not open_years.filter(counted_credits__gt=0).exists()
        assert not YearCredit.objects.filter(year__in=open_years).exists()


# 500 examples of up to 12 steps, each step checked: a few minutes on two cores.
@pytest.mark.timeout(1800)
def test_stored_standings_hold_after_any_log_decision_close_and_appeal(db):
    run_state_machine_as_test(StandingsMachine, settings=settings(
        max_examples=500, stateful_step_count=12, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))


CAPPED_AND_NOT = ["attend-webinar", "forum-moderator", "listen-podcasts", "mentor",
                  "other-course", "seco-expert-course"]
RAW_ENTRY = st.tuples(
    st.sampled_from(CAPPED_AND_NOT),
    # Mostly within two years, so that caps fill and later entries meet full caps.
    st.dates(min_value=date(2024, 6, 1), max_value=date(2025, 12, 31)),
    st.integers(min_value=1, max_value=1500).map(lambda cents: D(cents) / 100),
    st.sampled_from(["submitted", "approved", "approved", "pending_approval",
                     "proof_requested", "rejected", "withdrawn"]),
    st.integers(min_value=0, max_value=60),   # days between the activity and its report
    st.integers(min_value=0, max_value=3),    # logging order within a day
)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(raw=st.lists(RAW_ENTRY, min_size=5, max_size=60), move=st.integers(-90, 90),
       new_state=st.sampled_from(["submitted", "approved", "withdrawn", "pending_approval"]))
def test_recount_in_sql_equals_count_year_for_any_entries(db, raw, move, new_state):
    """Entries written straight to the table (any states, dates, reports, credits), recounted
    in SQL, compared with `count_year`: caps that cut, a submission cap that fills first, ties
    in the counting order, entries reported after a year's deadline. Then one entry moves or
    changes state and the years are recounted from its earliest date only."""
    with transaction.atomic():
        holder = UserFactory()
        certifications = [
            CertificationFactory(holder=holder, title=title("ISP"), awarded_on=date(2024, 1, 1)),
            CertificationFactory(holder=holder, title=title("ISE"), awarded_on=date(2024, 7, 1)),
        ]
        ensure_certification_years(today=date(2026, 6, 30), certifications=certifications)
        start = timezone.now()
        Entry.objects.bulk_create(
            Entry(holder=holder, activity_type=activity(code), activity_date=day,
                  title=f"Activity {i}", claimed_credits=credits, state=state,
                  reported_on=day + timedelta(days=late), relevance_confirmed=True,
                  logged_at=start + timedelta(days=(day - date(2024, 1, 1)).days,
                                              seconds=order))
            for i, (code, day, credits, state, late, order) in enumerate(raw)
        )

        years = list(CertificationYear.objects.filter(certification__holder=holder)
                     .values_list("pk", flat=True))
        recount_years(years)

        assert [str(d) for d in check_standings(User.objects.filter(pk=holder.pk))] == []

        # A change to one entry, recounted from its earliest date only, as the services do.
        if raw:
            entry = Entry.objects.filter(holder=holder).order_by("pk")[len(raw) // 2]
            moved_to = entry.activity_date - timedelta(days=move)
            since = min(entry.activity_date, moved_to)
            Entry.objects.filter(pk=entry.pk).update(activity_date=moved_to, state=new_state)
            recount_years(years, since=since, changed_entries=[entry.pk])
            assert [str(d) for d in check_standings(User.objects.filter(pk=holder.pk))] == []
        transaction.set_rollback(True)


def test_stopped_by_names_the_submission_cap_once_the_year_is_full(holder):
    """After the submission cap is full, what stops a capped activity is the submission cap, as
    long as the activity has not counted its own cap (count_year judges against what counted)."""
    CertificationFactory(holder=holder, awarded_on=date(2025, 1, 1))
    EntryFactory(holder=holder, activity_type=activity("seco-expert-course"),
                 activity_date=date(2025, 2, 1), claimed_credits=D("40"))
    webinars = [EntryFactory(holder=holder, activity_type=activity("attend-webinar"),
                             activity_date=date(2025, 3, day), claimed_credits=D("6"))
                for day in (1, 2)]

    stored = [YearCredit.objects.get(entry=w) for w in webinars]

    assert [(c.counted, c.stopped_by) for c in stored] == [
        (D("0"), "submission_cap"), (D("0"), "submission_cap")]
    assert [str(d) for d in check_standings(User.objects.filter(pk=holder.pk))] == []


def test_recount_standings_check_reports_no_difference_on_demo_data(db):
    call_command("load_demo_data", "--date", "2026-11-29", stdout=StringIO())
    out = StringIO()

    call_command("recount_standings", "--check", stdout=out)

    assert out.getvalue() == "0 differences: the stored standings equal a recount.\n"
    assert YearCredit.objects.count() > 10


def test_recount_standings_check_names_a_year_changed_by_hand_and_exits_1(db):
    call_command("load_demo_data", "--date", "2026-11-29", stdout=StringIO())
    year = CertificationYear.objects.filter(
        certification__holder__email="hanna@example.com", counted_credits__gt=0).first()
    CertificationYear.objects.filter(pk=year.pk).update(counted_credits=F("counted_credits") + 1)
    out = StringIO()

    with pytest.raises(CommandError, match="1 difference"):
        call_command("recount_standings", "--check", stdout=out)

    certification = year.certification
    assert out.getvalue() == (
        f"hanna@example.com {certification.title.code} year {year.number} "
        f"({year.starts_on} to {year.ends_on}): counted credits stored "
        f"{year.counted_credits + 1}, recounted {year.counted_credits}\n")


def test_recount_standings_rebuilds_what_was_changed_by_hand(db):
    call_command("load_demo_data", "--date", "2026-11-29", stdout=StringIO())
    before = {y.pk: stored_year(y) for y in CertificationYear.objects.all()}
    CertificationYear.objects.update(counted_credits=0)
    YearCredit.objects.filter(pk__in=YearCredit.objects.values("pk")[:3]).delete()
    out = StringIO()

    call_command("recount_standings", "--holder", "HANNA@example.com", stdout=out)
    call_command("recount_standings", stdout=out)

    assert {y.pk: stored_year(y) for y in CertificationYear.objects.all()} == before
    assert "Recounted the certification years of 1 holder(s)" in out.getvalue()


def test_recount_standings_unknown_holder_is_an_error(db):
    with pytest.raises(CommandError, match="No holder has the email address nobody@example"):
        call_command("recount_standings", "--check", "--holder", "nobody@example.com")


def test_a_lower_cap_recounts_open_years_and_leaves_closed_ones(
        holder, django_capture_on_commit_callbacks):
    certification = CertificationFactory(holder=holder, awarded_on=date(2024, 1, 1))
    for day in (date(2024, 5, 1), date(2025, 5, 1)):
        EntryFactory(holder=holder, activity_type=activity("mentor"), activity_date=day,
                     hours=D("8"), claimed_credits=D("8"))
    closed = CertificationYear.objects.get(certification=certification, number=1)
    CertificationYear.objects.filter(pk=closed.pk).update(state=YearState.MET)
    mentor = activity("mentor")
    mentor.annual_cap = D("5")
    mentor.save()

    with django_capture_on_commit_callbacks(execute=True):
        recount_after_catalogue_change(activity_type=mentor)

    years = {y.number: y.counted_credits
             for y in CertificationYear.objects.filter(certification=certification)}
    assert years == {1: D("8"), 2: D("5")}


def test_a_new_requirement_reaches_open_years_of_the_level(holder,
                                                          django_capture_on_commit_callbacks):
    certification = CertificationFactory(holder=holder, awarded_on=date(2025, 1, 1))
    EntryFactory(holder=holder, activity_type=activity("seco-expert-course"),
                 activity_date=date(2025, 2, 1), claimed_credits=D("40"))
    level = certification.title.level
    level.required_credits = D("15")
    level.save()

    with django_capture_on_commit_callbacks(execute=True):
        recount_after_catalogue_change(level=level)

    year = CertificationYear.objects.get(certification=certification, number=1)
    # The submission cap follows the requirement: at most twice 15 counts.
    assert (year.required_credits, year.counted_credits) == (D("15"), D("30"))


# --- A year's edges ---------------------------------------------------------------------------

def year_credits(holder: User, number: int) -> tuple[D, D, list[int]]:
    year = CertificationYear.objects.get(certification__holder=holder, number=number)
    return (year.counted_credits, year.undecided_credits,
            list(YearCredit.objects.filter(year=year).order_by("entry_id")
                 .values_list("entry_id", flat=True)))


def test_an_entry_on_a_years_first_or_last_day_counts_toward_that_year_only(holder):
    # Awarded 1 January 2024: year 1 is 2024, year 2 is 2025, year 3 is 2026.
    CertificationFactory(holder=holder, awarded_on=date(2024, 1, 1))
    ensure_certification_years(today=date(2026, 1, 1))
    last_of_1, first_of_2, last_of_2, first_of_3 = (
        EntryFactory(holder=holder, activity_date=day, claimed_credits=D(credits))
        for day, credits in [(date(2024, 12, 31), "1"), (date(2025, 1, 1), "2"),
                             (date(2025, 12, 31), "3"), (date(2026, 1, 1), "4")])

    assert year_credits(holder, 1) == (D("1"), D("0"), [last_of_1.pk])
    assert year_credits(holder, 2) == (D("5"), D("0"), [first_of_2.pk, last_of_2.pk])
    assert year_credits(holder, 3) == (D("4"), D("0"), [first_of_3.pk])
    assert [str(d) for d in check_standings(User.objects.filter(pk=holder.pk))] == []


def test_an_entry_reported_on_the_deadline_counts_and_the_day_after_not(holder):
    # Year 2 (2025) is reported until 30 January 2026.
    CertificationFactory(holder=holder, awarded_on=date(2024, 1, 1))
    ensure_certification_years(today=date(2026, 1, 31))
    on_deadline, day_after = (
        EntryFactory(holder=holder, activity_date=date(2025, 12, 31), reported_on=reported,
                     claimed_credits=D("2"))
        for reported in (date(2026, 1, 30), date(2026, 1, 31)))
    for reported in (date(2026, 1, 30), date(2026, 1, 31)):
        EntryFactory(holder=holder, activity_date=date(2025, 12, 31), reported_on=reported,
                     claimed_credits=D("3"), state=EntryState.PENDING_APPROVAL)

    assert year_credits(holder, 2) == (D("2"), D("3"), [on_deadline.pk])
    assert not YearCredit.objects.filter(entry=day_after).exists()
    assert [str(d) for d in check_standings(User.objects.filter(pk=holder.pk))] == []

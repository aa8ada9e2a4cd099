import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from activities.models import ActivityType
from certifications.enums import CertificationStatus
from certifications.models import CertificationYear
from submissions.counting import StoppedBy
from submissions.enums import DenialKind, EntryState
from submissions.models import Denial, Entry, EntryStateChange, ProofFile
from submissions.selectors.holder import certification_standings, entry_shares, year_detail
from submissions.services import (
    EntryDetails,
    attach_proof,
    attach_proofs,
    record_denial,
    update_entry,
    withdraw_entry,
)
from submissions.standings.recount import recount_entry_years
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity, title

D = Decimal
pytestmark = pytest.mark.django_db


def assert_refused(call, field: str, *words: str) -> None:
    """The call raises ValidationError on `field`, mentioning every word, and stores nothing."""
    entries, changes = Entry.objects.count(), EntryStateChange.objects.count()
    with pytest.raises(ValidationError) as error:
        call()
    messages = error.value.message_dict[field]
    for word in words:
        assert any(word in m for m in messages), messages
    assert (Entry.objects.count(), EntryStateChange.objects.count()) == (entries, changes)


def test_log_entry_stores_webinar_credits_and_first_state_change(practitioner, log):
    entry = log("attend-webinar", length_minutes=90, attended_minutes=90)
    assert (entry.claimed_credits, entry.state) == (D("1.50"), EntryState.SUBMITTED)
    assert (entry.length_minutes, entry.hours, entry.quantity) == (90, None, None)
    change = entry.state_changes.get()
    assert (change.from_state, change.to_state, change.changed_by) == (
        "", EntryState.SUBMITTED, practitioner.holder)


def test_log_entry_keeps_only_the_inputs_of_the_rule_kind(practitioner, log):
    entry = log("seco-short-course", hours=D("3"), quantity=D("7"))
    assert (entry.claimed_credits, entry.hours, entry.quantity) == (D("4.00"), None, None)


def test_log_entry_approval_types_start_pending(practitioner, log):
    entry = log("read-books", quantity=D("250"))
    assert (entry.claimed_credits, entry.state) == (D("2.50"), EntryState.PENDING_APPROVAL)


def test_log_entry_keeps_credits_when_the_rate_changes_later(practitioner, log):
    entry = log("listen-podcasts", quantity=D("7"))
    ActivityType.objects.filter(code="listen-podcasts").update(rate=D("3"))
    entry.refresh_from_db()
    assert entry.claimed_credits == D("2.33")


def test_log_entry_refuses_webinar_attended_75_percent(practitioner, log):
    assert_refused(lambda: log("attend-webinar", length_minutes=60, attended_minutes=45),
                   "attended_minutes", "75 %", "80 %")


def test_log_entry_refuses_future_date(practitioner, log):
    assert_refused(lambda: log(activity_date=date(2025, 6, 2), today=date(2025, 6, 1)),
                   "activity_date", "future")


def test_log_entry_refuses_date_before_first_award(practitioner, log):
    assert_refused(lambda: log(activity_date=date(2023, 12, 31)), "activity_date",
                   "before your first certification", "2024")


def test_log_entry_refuses_year_whose_deadline_passed(practitioner, log):
    # Year 1 runs through 2024-12-31; its deadline is 30 days later.
    assert_refused(lambda: log(activity_date=date(2024, 6, 1), today=date(2025, 1, 31)),
                   "activity_date", "closed on 30 January 2025")


def test_log_entry_accepts_previous_year_within_reporting_window(practitioner, log):
    entry = log(activity_date=date(2024, 12, 20), today=date(2025, 1, 30))
    assert entry.state == EntryState.SUBMITTED


def test_log_entry_refuses_foundation_only_holder(holder, log):
    CertificationFactory(holder=holder, title=title("ISF"))
    assert_refused(lambda: log(), "__all__", "require no CPE")


def test_log_entry_refuses_holder_without_certification(holder, log):
    assert_refused(lambda: log(), "__all__", "no active certification")


def test_log_entry_refuses_decertified_holder(holder, log):
    CertificationFactory(holder=holder, status=CertificationStatus.DECERTIFIED,
                         decertified_on=date(2025, 2, 1))
    assert_refused(lambda: log(), "__all__", "no active certification")


@pytest.mark.parametrize(
    ("code", "fields", "field"),
    [
        ("other-course", {"hours": D("1.3")}, "hours"),
        ("other-course", {"hours": D("0")}, "hours"),
        ("other-course", {"hours": None}, "hours"),
        ("attend-webinar", {"length_minutes": 60, "attended_minutes": 70}, "attended_minutes"),
        ("read-books", {"quantity": D("-5")}, "quantity"),
        ("give-webinar", {"proposed_credits": D("7")}, "proposed_credits"),
        ("other-course", {"title": "   "}, "title"),
        ("other-course", {"title": "x" * 201}, "title"),
        ("other-course", {"relevance_confirmed": False}, "relevance_confirmed"),
    ],
)
def test_log_entry_refuses_bad_input(practitioner, log, code, fields, field):
    assert_refused(lambda: log(code, **fields), field)


def test_log_entry_refuses_inactive_activity_type(practitioner, log):
    ActivityType.objects.filter(code="mentor").update(active=False)
    assert_refused(lambda: log("mentor", hours=D("1")), "activity_type", "no longer offered")


def test_log_entry_refuses_twelfth_webinar_hour_naming_the_cap(practitioner, log):
    for day in range(1, 11):
        log("attend-webinar", length_minutes=60, attended_minutes=60,
            activity_date=date(2025, 1, day))
    assert_refused(
        lambda: log("attend-webinar", length_minutes=60, attended_minutes=60),
        "__all__", "annual cap of 10", "Attend a webinar",
    )


def test_log_entry_pending_entries_hold_their_place_under_a_cap(practitioner, log):
    log("read-books", quantity=D("500"))
    assert_refused(lambda: log("read-books", quantity=D("100")), "__all__", "annual cap of 5")


def test_expert_course_plus_ten_hours_counts_40_on_a_2025_practitioner_year(holder, log):
    CertificationFactory(holder=holder, awarded_on=date(2025, 1, 1))
    log(hours=D("10"), activity_date=date(2025, 2, 1))
    log("seco-expert-course", activity_date=date(2025, 3, 1))
    [standing] = certification_standings(holder=holder, today=date(2025, 6, 1))
    assert (standing.current.counted, standing.current.submission_cap) == (D("40"), D("40"))


def test_expert_course_plus_ten_hours_counts_50_on_a_2024_practitioner_year(holder, log):
    CertificationFactory(holder=holder, awarded_on=date(2024, 2, 1))
    log(hours=D("10"), activity_date=date(2024, 11, 1), today=date(2024, 12, 1))
    log("seco-expert-course", activity_date=date(2024, 11, 2), today=date(2024, 12, 1))
    [standing] = certification_standings(holder=holder, today=date(2024, 12, 1))
    assert (standing.current.counted, standing.current.submission_cap) == (D("50"), None)


def test_entry_counts_toward_two_certifications_with_different_years(holder, log):
    practitioner = CertificationFactory(holder=holder, title=title("ISP"),
                                        awarded_on=date(2024, 1, 1))
    expert = CertificationFactory(holder=holder, title=title("ISE"), awarded_on=date(2024, 7, 1))
    EntryFactory(holder=holder, activity_type=activity("attend-webinar"),
                 activity_date=date(2024, 12, 1), length_minutes=360, attended_minutes=360,
                 hours=None, claimed_credits=D("6"))
    today = date(2025, 3, 15)

    log("attend-webinar", length_minutes=300, attended_minutes=300,
        activity_date=date(2025, 3, 1), today=today)

    standings = {s.certification: s for s in certification_standings(holder=holder, today=today)}
    isp, ise = standings[practitioner].current, standings[expert].current
    assert (isp.window.starts_on, isp.counted) == (date(2025, 1, 1), D("5"))
    assert (ise.window.starts_on, ise.counted) == (date(2024, 7, 1), D("10"))
    webinar_use = {s.certification: [u.used for u in s.current.cap_uses
                                     if u.activity_type.code == "attend-webinar"]
                   for s in standings.values()}
    assert webinar_use == {practitioner: [D("5")], expert: [D("10")]}


def test_assessment_names_the_cap_for_each_certification(holder):
    from submissions.assessment import assess_entry

    CertificationFactory(holder=holder, title=title("ISP"), awarded_on=date(2024, 1, 1))
    CertificationFactory(holder=holder, title=title("ISE"), awarded_on=date(2024, 7, 1))
    EntryFactory(holder=holder, activity_type=activity("attend-webinar"),
                 activity_date=date(2024, 12, 1), hours=None, length_minutes=360,
                 attended_minutes=360, claimed_credits=D("6"))
    assessment = assess_entry(holder=holder, activity_type=activity("attend-webinar"),
                              activity_date=date(2025, 3, 1), credits=D("5"),
                              today=date(2025, 3, 15))
    shares = {s.certification.title.code: (s.counted, s.stopped_by, s.cap)
              for s in assessment.shares}
    assert shares == {"ISP": (D("5"), None, None),
                      "ISE": (D("4"), StoppedBy.ACTIVITY_CAP, D("10"))}
    assert assessment.refusal == ""


def test_withdraw_entry_records_the_change_and_stops_counting(practitioner, log):
    entry = log(hours=D("3"))
    withdraw_entry(entry=entry, by=practitioner.holder, reason="Logged twice",
                   today=date(2025, 6, 1))
    entry.refresh_from_db()
    assert entry.state == EntryState.WITHDRAWN
    assert list(entry.state_changes.values_list("from_state", "to_state", "reason")) == [
        ("", EntryState.SUBMITTED, "Logged"),
        (EntryState.SUBMITTED, EntryState.WITHDRAWN, "Logged twice"),
    ]
    [standing] = certification_standings(holder=practitioner.holder, today=date(2025, 6, 1))
    assert standing.current.counted == D("0")


def test_withdraw_entry_refuses_a_decided_entry(practitioner):
    entry = EntryFactory(holder=practitioner.holder, state=EntryState.REJECTED)
    with pytest.raises(ValidationError, match="can no longer be withdrawn"):
        withdraw_entry(entry=entry, by=practitioner.holder, today=date(2025, 6, 1))
    entry.refresh_from_db()
    assert entry.state == EntryState.REJECTED


def test_withdraw_entry_refuses_in_a_closed_year(practitioner):
    entry = EntryFactory(holder=practitioner.holder, activity_date=date(2024, 5, 1))
    with pytest.raises(ValidationError, match="closed"):
        withdraw_entry(entry=entry, by=practitioner.holder, today=date(2025, 6, 1))
    entry.refresh_from_db()
    assert entry.state == EntryState.SUBMITTED


def test_log_entry_for_another_holder_does_not_touch_caps(practitioner, log):
    other = UserFactory()
    CertificationFactory(holder=other)
    for day in range(1, 11):
        EntryFactory(holder=other, activity_type=activity("attend-webinar"),
                     activity_date=date(2025, 1, day), hours=None, length_minutes=60,
                     attended_minutes=60)
    entry = log("attend-webinar", length_minutes=60, attended_minutes=60)
    assert entry.claimed_credits == D("1.00")


def test_log_entry_refuses_more_credits_than_one_entry_can_hold(practitioner, log):
    assert_refused(lambda: log("listen-podcasts", quantity=D("90000")), "quantity",
                   "more than one activity can earn")


def test_an_earlier_activity_fits_before_a_later_one_awaiting_proof(practitioner, log):
    """Forum 5 h on 1 June awaits proof; forum 3 h on 1 May comes first in counting order, so
    it counts 3; once June's is approved it counts the 2 left under the cap of 5."""
    june = EntryFactory(holder=practitioner.holder, activity_type=activity("forum-moderator"),
                        activity_date=date(2025, 6, 1), hours=D("5"), claimed_credits=D("5"),
                        state=EntryState.PROOF_REQUESTED)

    may = log("forum-moderator", hours=D("3"), activity_date=date(2025, 5, 1),
              today=date(2025, 6, 15))

    assert may.year_credits.get().counted == D("3")
    Entry.objects.filter(pk=june.pk).update(state=EntryState.APPROVED)
    recount_entry_years(june)
    assert june.year_credits.get().counted == D("2")


def test_an_activity_after_a_pending_one_still_meets_the_cap_it_fills(practitioner, log):
    EntryFactory(holder=practitioner.holder, activity_type=activity("forum-moderator"),
                 activity_date=date(2025, 5, 1), hours=D("5"), claimed_credits=D("5"),
                 state=EntryState.PROOF_REQUESTED)
    assert_refused(lambda: log("forum-moderator", hours=D("3"), activity_date=date(2025, 6, 1),
                               today=date(2025, 6, 15)), "__all__", "annual cap of 5")


def test_an_entry_counts_only_toward_years_open_when_it_is_logged(holder, log):
    """ISE's year 2 (July 2024 to June 2025) is open; ISP's year 1 (2024) closed for reporting
    on 30 January 2025. A December 2024 activity logged in March 2025 counts for ISE only."""
    isp = CertificationFactory(holder=holder, title=title("ISP"), awarded_on=date(2024, 1, 1))
    ise = CertificationFactory(holder=holder, title=title("ISE"), awarded_on=date(2023, 7, 1))
    EntryFactory(holder=holder, activity_date=date(2024, 6, 1), hours=D("4"),
                 claimed_credits=D("4"))
    closed = CertificationYear.objects.get(certification=isp, number=1)
    assert closed.counted_credits == D("4")

    entry = log(hours=D("6"), activity_date=date(2024, 12, 1), today=date(2025, 3, 1))

    closed.refresh_from_db()
    assert closed.counted_credits == D("4")
    assert CertificationYear.objects.get(certification=ise, number=2).counted_credits == D("6")
    assert [s.certification for s in entry_shares(entry=entry)] == [ise]
    detail = year_detail(certification=isp, number=1, today=date(2025, 3, 1))
    assert entry not in detail.entries


def test_edit_in_a_year_past_its_deadline_changes_only_the_words(holder, log):
    CertificationFactory(holder=holder, title=title("ISP"), awarded_on=date(2024, 1, 1))
    CertificationFactory(holder=holder, title=title("ISE"), awarded_on=date(2023, 7, 1))
    entry = log(hours=D("6"), activity_date=date(2024, 12, 1), today=date(2025, 1, 10))
    later = date(2025, 3, 1)
    words = {"activity_type": activity("other-course"), "activity_date": date(2024, 12, 1),
             "title": "Renamed course", "hours": D("6"), "relevance_confirmed": True}

    update_entry(entry=entry, by=holder, details=EntryDetails.from_data(words), today=later)
    with pytest.raises(ValidationError, match="deadline has passed"):
        update_entry(entry=entry, by=holder, today=later,
                     details=EntryDetails.from_data(words | {"hours": D("2")}))

    entry.refresh_from_db()
    assert (entry.title, entry.claimed_credits, entry.reported_on) == (
        "Renamed course", D("6"), date(2025, 1, 10))


def test_log_entry_posted_twice_with_one_form_token_logs_once(practitioner, log):
    token = uuid.uuid4()
    first = log(hours=D("2"), form_token=token)
    again = log(hours=D("2"), form_token=token)
    assert (again, Entry.objects.count()) == (first, 1)


def test_log_entry_token_back_with_another_activity_logs_it_too(practitioner, log):
    token = uuid.uuid4()
    first = log(hours=D("2"), form_token=token)
    other = log(hours=D("2"), title="Another course", form_token=token)
    assert other != first
    assert (Entry.objects.count(), other.form_token) == (2, None)


def test_attach_proof_refuses_a_decided_entry(practitioner):
    entry = EntryFactory(holder=practitioner.holder, state=EntryState.REJECTED)
    with pytest.raises(ValidationError, match="Proof can no longer be added"):
        attach_proof(entry=entry, by=practitioner.holder,
                     upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 proof"))
    assert ProofFile.objects.count() == 0


def test_attach_proofs_posted_twice_with_one_form_token_stores_once(practitioner):
    entry = EntryFactory(holder=practitioner.holder)
    token = uuid.uuid4()
    files = lambda: [SimpleUploadedFile("a.pdf", b"%PDF-1.4 a"),  # noqa: E731
                     SimpleUploadedFile("b.pdf", b"%PDF-1.4 b")]
    first = attach_proofs(entry=entry, uploads=files(), by=practitioner.holder,
                          form_token=token)
    again = attach_proofs(entry=entry, uploads=files(), by=practitioner.holder,
                          form_token=token)
    assert (again, ProofFile.objects.count()) == (first, 2)


def test_record_denial_of_an_entry_and_of_a_certification(practitioner):
    holder = practitioner.holder
    entry = EntryFactory(holder=holder, state=EntryState.REJECTED)
    rejected = record_denial(holder=holder, kind=DenialKind.ENTRY_REJECTED, entry=entry,
                             denied_on=date(2025, 6, 1), reason="Not relevant to the field")
    decertified = record_denial(holder=holder, kind=DenialKind.DECERTIFIED,
                                certification=practitioner, denied_on=date(2026, 1, 31),
                                reason="12 of 20 credits")
    assert list(Denial.objects.values_list("kind", "entry", "certification")) == [
        (DenialKind.DECERTIFIED, None, practitioner.pk),
        (DenialKind.ENTRY_REJECTED, entry.pk, None)]
    assert (rejected.holder, decertified.holder) == (holder, holder)


@pytest.mark.parametrize("names", ["nothing", "another holder's entry"])
def test_record_denial_refuses_what_names_nothing_or_another_holder(practitioner, names):
    other_entry = EntryFactory()
    with pytest.raises(ValidationError):
        record_denial(holder=practitioner.holder, kind=DenialKind.ENTRY_REJECTED,
                      denied_on=date(2025, 6, 1), reason="x",
                      entry=other_entry if names != "nothing" else None)
    assert Denial.objects.count() == 0

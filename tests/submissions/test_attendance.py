"""Webinar attendance import: the file is checked whole before anything is logged; each row then
logs an entry through the logging service, or is reported with the reason it logged nothing."""

import uuid
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from accounts.models import OutboxMessage, User
from submissions.attendance import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    AttendanceReport,
    Outcome,
    import_attendance,
    plan_attendance,
    read_attendance_file,
)
from submissions.enums import EntryState
from submissions.models import Entry, EntryStateChange
from submissions.services import EntryDetails, log_entry, withdraw_entry
from submissions.standings.check import check_standings
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity, title

D = Decimal
TODAY = date(2025, 6, 1)
HEADER = "email,webinar title,webinar date,webinar minutes,attended minutes"

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer() -> User:
    user = UserFactory(email="rita.reviewer@example.com", full_name="Rita Reviewer",
                       is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="import_attendance"))
    return user


@pytest.fixture
def anna() -> User:
    """A Practitioner (20 a year) awarded 2024-01-01: her second year is 2025."""
    return CertificationFactory(holder=UserFactory(email="anna@example.com")).holder


@pytest.fixture
def joost() -> User:
    return CertificationFactory(holder=UserFactory(email="joost@example.com")).holder


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


def run(text: str, reviewer: User, today: date = TODAY) -> AttendanceReport:
    plan = plan_attendance(read_attendance_file(text.encode()), today=today)
    return import_attendance(plan=plan, reviewer=reviewer, today=today)


def outcomes(report: AttendanceReport) -> list[tuple[int, Outcome, str]]:
    return [(r.row.number, r.outcome, r.message) for r in report.results]


def problems(text: str | bytes, today: date = TODAY) -> list[str]:
    data = text if isinstance(text, bytes) else text.encode()
    with pytest.raises(ValidationError) as error:
        plan_attendance(read_attendance_file(data), today=today)
    return error.value.messages


# --- Importing ---------------------------------------------------------------------------------

def test_import_logs_an_entry_per_holder_who_attended_enough(reviewer, anna, joost):
    report = run(csv_text("Anna@Example.com,Threat Intel 101,2025-05-20,90,72",
                          "joost@example.com,Cloud Logging,2025-04-02,50,50"), reviewer)

    assert outcomes(report) == [(2, Outcome.CREATED, ""), (3, Outcome.CREATED, "")]
    entry = Entry.objects.get(holder=anna)
    assert (entry.activity_type, entry.activity_date, entry.title, entry.provider) == (
        activity("attend-webinar"), date(2025, 5, 20), "Threat Intel 101", "Attendance import")
    assert (entry.length_minutes, entry.attended_minutes, entry.claimed_credits, entry.state,
            entry.relevance_confirmed, entry.reported_on) == (
        90, 72, D("1.50"), EntryState.SUBMITTED, True, TODAY)
    assert Entry.objects.get(holder=joost).claimed_credits == D("0.75")
    assert [(r.entry_id, r.credits) for r in report.created] == [
        (entry.pk, D("1.50")), (Entry.objects.get(holder=joost).pk, D("0.75"))]
    assert report.summary() == ("Rows: 2. Logged: 2. Attended too little: 0. Unknown email: 0. "
                                "Refused by the rules: 0. Duplicate: 0.")


def test_import_records_the_reviewer_as_who_logged_the_entries(reviewer, anna, joost):
    run(csv_text("anna@example.com,Threat Intel 101,2025-05-20,60,60",
                 "joost@example.com,Threat Intel 101,2025-05-20,60,48"), reviewer)

    assert list(EntryStateChange.objects.order_by("entry__holder__email").values_list(
        "entry__holder__email", "from_state", "to_state", "changed_by")) == [
        ("anna@example.com", "", EntryState.SUBMITTED, reviewer.pk),
        ("joost@example.com", "", EntryState.SUBMITTED, reviewer.pk)]


def test_import_reports_79_percent_and_logs_80_percent(reviewer, anna, joost):
    report = run(csv_text("anna@example.com,Threat Intel 101,2025-05-20,100,79",
                          "joost@example.com,Threat Intel 101,2025-05-20,100,80"), reviewer)

    assert outcomes(report) == [
        (2, Outcome.BELOW_MINIMUM,
         "attended 79 of 100 minutes (79 %); at least 80 % is needed"),
        (3, Outcome.CREATED, "")]
    assert list(Entry.objects.values_list("holder__email", flat=True)) == ["joost@example.com"]


def test_import_reports_an_unknown_email(reviewer, anna):
    report = run(csv_text("nobody@example.com,Threat Intel 101,2025-05-20,60,60"), reviewer)

    assert outcomes(report) == [
        (2, Outcome.UNKNOWN_EMAIL, "no holder has the email address nobody@example.com")]
    assert Entry.objects.count() == 0


def test_import_reports_a_repeated_row_of_the_file_as_duplicate(reviewer, anna):
    report = run(csv_text("anna@example.com,Threat Intel 101,2025-05-20,60,60",
                          "ANNA@example.com, threat  intel 101 ,2025-05-20,60,55"), reviewer)

    assert outcomes(report) == [
        (2, Outcome.CREATED, ""),
        (3, Outcome.DUPLICATE, "the same webinar for the same email as row 2")]
    assert Entry.objects.count() == 1


def test_import_reports_a_row_over_the_webinar_cap_with_the_service_message(reviewer, anna):
    # Ten webinar credits already count in her 2025 year: the cap is full.
    EntryFactory(holder=anna, activity_type=activity("attend-webinar"), hours=None,
                 length_minutes=600, attended_minutes=600, claimed_credits=D("10"),
                 activity_date=date(2025, 2, 1))

    report = run(csv_text("anna@example.com,Threat Intel 101,2025-05-20,60,60"), reviewer)

    [result] = report.results
    assert result.outcome == Outcome.REFUSED
    assert "would not count for anything" in result.message
    assert Entry.objects.count() == 1


def test_import_reports_refusals_for_a_closed_year_and_no_certification(reviewer, anna):
    UserFactory(email="former@example.com")

    report = run(csv_text("anna@example.com,Threat Intel 101,2024-06-01,60,60",
                          "former@example.com,Threat Intel 101,2025-05-20,60,60"), reviewer)

    assert outcomes(report) == [
        (2, Outcome.REFUSED, f"Holder {anna.full_name}'s certification year that contains 1 "
                             "June 2024 closed for reporting on 30 January 2025; nothing can "
                             "be logged for it any more."),
        (3, Outcome.REFUSED, f"Holder {User.objects.get(email='former@example.com').full_name}"
                             " has no active certification to log CPE for.")]
    assert Entry.objects.count() == 0


def test_import_refusals_speak_to_staff_about_the_holder(reviewer):
    foundation = CertificationFactory(holder=UserFactory(email="f@example.com",
                                                         full_name="Fay Foundation"),
                                      title=title("ISF")).holder
    capped = CertificationFactory(holder=UserFactory(email="c@example.com",
                                                     full_name="Cas Capped")).holder
    EntryFactory(holder=capped, activity_type=activity("attend-webinar"), hours=None,
                 length_minutes=600, attended_minutes=600, claimed_credits=D("10"),
                 activity_date=date(2025, 2, 1))

    report = run(csv_text("f@example.com,Threat Intel 101,2025-05-20,60,60",
                          "c@example.com,Threat Intel 101,2025-05-20,60,60"), reviewer)

    messages = [r.message for r in report.results]
    assert messages[0] == ("Holder Fay Foundation's certifications require no CPE, so there "
                           "is nothing to log.")
    assert messages[1].startswith("The annual cap of 10 credits for “Attend a webinar")
    assert "is already reached in holder Cas Capped's" in messages[1]
    assert all("you" not in message.lower().split() and "your" not in message.lower()
               for message in messages)
    assert foundation.entries.count() == 0


def test_import_mails_each_holder_once_listing_the_entries_logged_for_them(reviewer, anna,
                                                                           joost):
    run(csv_text("anna@example.com,Threat Intel 101,2025-05-20,60,60",
                 "joost@example.com,Threat Intel 101,2025-05-20,60,60",
                 "anna@example.com,Cloud Logging,2025-05-21,90,90",
                 "nobody@example.com,Cloud Logging,2025-05-21,90,90"), reviewer)

    mails = OutboxMessage.objects.filter(kind="entries_imported").order_by("to")
    assert [(m.to, m.subject) for m in mails] == [
        ("anna@example.com", "2 webinars were added to your CPE record"),
        ("joost@example.com", "A webinar was added to your CPE record")]
    body = mails[0].body_text
    assert "Threat Intel 101 (20 May 2025): 1.00 credits" in body
    assert "Cloud Logging (21 May 2025): 1.50 credits" in body
    assert "On 1 June 2025 the certification body's staff logged these webinars" in body
    assert ">Threat Intel 101</a> (20 May 2025): 1.00 credits" in mails[0].body_html


def test_import_again_mails_nobody(reviewer, anna):
    text = csv_text("anna@example.com,Threat Intel 101,2025-05-20,60,60")
    run(text, reviewer)

    run(text, reviewer)

    assert OutboxMessage.objects.filter(kind="entries_imported").count() == 1


def test_imported_entry_says_so_and_a_logged_one_does_not(reviewer, anna):
    run(csv_text("anna@example.com,Threat Intel 101,2025-05-20,60,60"), reviewer)
    own = log_entry(holder=anna, today=TODAY, form_token=uuid.uuid4(),
                    details=EntryDetails.from_data({
                        "activity_type": activity("attend-webinar"),
                        "activity_date": date(2025, 5, 1), "title": "Own webinar",
                        "length_minutes": 60, "attended_minutes": 60,
                        "relevance_confirmed": True}))

    imported = Entry.objects.get(title="Threat Intel 101")
    assert (imported.imported, own.imported) == (True, False)


def test_import_of_the_same_file_twice_logs_nothing_the_second_time(reviewer, anna, joost):
    text = csv_text("anna@example.com,Threat Intel 101,2025-05-20,60,60",
                    "joost@example.com,Threat Intel 101,2025-05-20,60,50",
                    "anna@example.com,Cloud Logging,2025-04-02,45,45")
    first = run(text, reviewer)
    entries = {r.row.number: r.entry_id for r in first.created}

    second = run(text, reviewer)

    assert Entry.objects.count() == 3
    assert outcomes(second) == [
        (number, Outcome.DUPLICATE, f"already imported (entry {entries[number]})")
        for number in (2, 3, 4)]
    assert [r.entry_id for r in second.results] == [entries[2], entries[3], entries[4]]


def test_import_finds_the_entry_after_the_holder_changed_email(reviewer, anna):
    run(csv_text("anna@example.com,Threat Intel 101,2025-05-20,60,60"), reviewer)
    User.objects.filter(pk=anna.pk).update(email="anna.new@example.com")

    report = run(csv_text("anna.new@example.com,Threat Intel 101,2025-05-20,60,60"), reviewer)

    assert [r.outcome for r in report.results] == [Outcome.DUPLICATE]
    assert Entry.objects.count() == 1


def test_import_does_not_log_a_webinar_the_holder_logged_themselves(reviewer, anna):
    own = log_entry(holder=anna, today=TODAY, details=EntryDetails.from_data({
        "activity_type": activity("attend-webinar"), "activity_date": date(2025, 5, 20),
        "title": "Threat intel 101", "length_minutes": 60, "attended_minutes": 60,
        "relevance_confirmed": True}))

    report = run(csv_text("anna@example.com,Threat Intel 101,2025-05-20,60,60"), reviewer)

    assert outcomes(report) == [
        (2, Outcome.DUPLICATE, f"the holder already logged this webinar (entry {own.pk})")]
    assert Entry.objects.count() == 1


def test_import_does_not_bring_back_an_imported_entry_the_holder_withdrew(reviewer, anna):
    text = csv_text("anna@example.com,Threat Intel 101,2025-05-20,60,60")
    [imported] = run(text, reviewer).created
    withdraw_entry(entry=Entry.objects.get(pk=imported.entry_id), by=anna, today=TODAY)

    report = run(text, reviewer)

    assert outcomes(report) == [
        (2, Outcome.DUPLICATE, f"already imported (entry {imported.entry_id})")]
    assert Entry.objects.count() == 1


def test_import_logs_a_webinar_whose_own_entry_the_holder_withdrew(reviewer, anna):
    own = log_entry(holder=anna, today=TODAY, details=EntryDetails.from_data({
        "activity_type": activity("attend-webinar"), "activity_date": date(2025, 5, 20),
        "title": "Threat Intel 101", "length_minutes": 60, "attended_minutes": 60,
        "relevance_confirmed": True}))
    withdraw_entry(entry=own, by=anna, today=TODAY)

    report = run(csv_text("anna@example.com,Threat Intel 101,2025-05-20,60,60"), reviewer)

    assert [r.outcome for r in report.results] == [Outcome.CREATED]
    assert Entry.objects.filter(state=EntryState.SUBMITTED).count() == 1


def test_import_keeps_the_stored_standings_equal_to_a_recount(reviewer, anna, joost):
    EntryFactory(holder=anna, activity_type=activity("attend-webinar"), hours=None,
                 length_minutes=540, attended_minutes=540, claimed_credits=D("9"),
                 activity_date=date(2025, 2, 1))

    report = run(csv_text("anna@example.com,Threat Intel 101,2025-05-20,120,120",
                          "anna@example.com,Cloud Logging,2025-01-10,60,60",
                          "joost@example.com,Threat Intel 101,2025-05-20,120,100"), reviewer)

    assert [r.outcome for r in report.results] == [Outcome.CREATED] * 3
    assert list(check_standings()) == []
    year = anna.certifications.get().years.get(number=2)
    assert year.counted_credits == D("10.00")


def test_import_rows_go_in_file_order_under_the_cap(reviewer, anna):
    EntryFactory(holder=anna, activity_type=activity("attend-webinar"), hours=None,
                 length_minutes=540, attended_minutes=540, claimed_credits=D("9"),
                 activity_date=date(2025, 2, 1))

    report = run(csv_text("anna@example.com,Threat Intel 101,2025-05-20,60,60",
                          "anna@example.com,Cloud Logging,2025-05-21,60,60"), reviewer)

    assert [r.outcome for r in report.results] == [Outcome.CREATED, Outcome.REFUSED]


# --- Checking the file -------------------------------------------------------------------------

def test_plan_reads_a_header_in_any_order_case_and_spacing_with_a_byte_order_mark():
    text = (" Attended Minutes ,EMAIL, Webinar  Title,webinar date ,Webinar minutes,,\r\n"
            "45, Anna@Example.com , Threat Intel 101 ,2025-05-20, 60 ,,\r\n\r\n,,,,\r\n")

    plan = plan_attendance(read_attendance_file(text.encode("utf-8-sig")), today=TODAY)

    [row] = plan.rows
    assert (row.number, row.email, row.title, row.webinar_date, row.webinar_minutes,
            row.attended_minutes) == (2, "anna@example.com", "Threat Intel 101",
                                      date(2025, 5, 20), 60, 45)


GOOD_ROW = "anna@example.com,Threat Intel 101,2025-05-20,60,60"
# Latin-1 spends one byte per character, so the position of the é is its byte.
LATIN_1 = csv_text("anna@example.com,Caf\u00e9 talk,2025-05-20,60,60")
LATIN_1_BYTE = LATIN_1.index("\u00e9")
BAD_FILES = {
    "missing column": (
        "email,webinar title,webinar date,webinar minutes\nanna@example.com,T,2025-05-20,60\n",
        ["row 1: missing column 'attended minutes'"]),
    "extra column": (
        csv_text(f"{GOOD_ROW},x", header=f"{HEADER},score"),
        ["row 1: unexpected column 'score'"]),
    "repeated column": (
        csv_text(f"{GOOD_ROW},anna@example.com", header=f"{HEADER},Email"),
        ["row 1: column 'email' appears more than once"]),
    "semicolons": (
        "email;webinar title;webinar date;webinar minutes;attended minutes\n"
        "anna@example.com;T;2025-05-20;60;60\n",
        ["row 1: the columns are separated by semicolons: save the file with commas between "
         "the columns."]),
    "empty values": (
        csv_text(GOOD_ROW, " ,  ,2025-05-20,60,60"),
        ["row 3: email is empty", "row 3: webinar title is empty"]),
    "bad email": (
        csv_text("anna(at)example.com,T,2025-05-20,60,60"),
        ["row 2: invalid email address 'anna(at)example.com'"]),
    "malformed date": (
        csv_text(GOOD_ROW, "anna@example.com,T,20/05/2025,60,60"),
        ["row 3: invalid webinar date '20/05/2025' (use YYYY-MM-DD, a real day)"]),
    "impossible date": (
        csv_text(GOOD_ROW, "anna@example.com,T,2025-02-30,60,60"),
        ["row 3: invalid webinar date '2025-02-30' (use YYYY-MM-DD, a real day)"]),
    "future date": (
        csv_text("anna@example.com,T,2025-06-02,60,60"),
        ["row 2: webinar date 2025-06-02 is in the future"]),
    "minutes not whole numbers": (
        csv_text("anna@example.com,T,2025-05-20,1.5,-5", "anna@example.com,U,2025-05-20,٦٠,six"),
        ["row 2: webinar minutes '1.5' is not a whole number of minutes",
         "row 2: attended minutes '-5' is not a whole number of minutes",
         "row 3: webinar minutes '٦٠' is not a whole number of minutes",
         "row 3: attended minutes 'six' is not a whole number of minutes"]),
    "zero and huge webinar minutes": (
        csv_text("anna@example.com,T,2025-05-20,0,0", "anna@example.com,U,2025-05-20,1441,60"),
        ["row 2: webinar minutes must be between 1 and 1440",
         "row 3: webinar minutes must be between 1 and 1440"]),
    "minutes of thousands of digits": (
        csv_text(f"anna@example.com,T,2025-05-20,{'9' * 5000},60",
                 f"anna@example.com,U,2025-05-20,60,{'9' * 5000}",
                 f"anna@example.com,V,2025-05-20,{'0' * 5000}60,{'0' * 5000}1441"),
        ["row 2: webinar minutes must be between 1 and 1440",
         "row 3: attended minutes must be between 0 and 1440",
         "row 4: attended minutes must be between 0 and 1440"]),
    "attended more than the webinar": (
        csv_text("anna@example.com,T,2025-05-20,60,61"),
        ["row 2: attended minutes (61) are more than the webinar's minutes (60)"]),
    "short row": (
        csv_text(GOOD_ROW, "anna@example.com,T,2025-05-20"),
        ["row 3: no value for webinar minutes, attended minutes"]),
    "long row": (
        csv_text(GOOD_ROW, f"{GOOD_ROW},extra"),
        ["row 3: more values than the header has columns"]),
    "blank line inside": (
        csv_text("", GOOD_ROW),
        ["row 2: the row is empty"]),
    "long title": (
        csv_text(f"anna@example.com,{'T' * 201},2025-05-20,60,60"),
        ["row 2: webinar title is longer than 200 characters"]),
    "header only": (f"{HEADER}\n", ["there are no rows to import below the header."]),
    "empty file": ("", ["the file is empty: it needs the header line email, webinar title, "
                        "webinar date, webinar minutes, attended minutes and one row per "
                        "attendee."]),
    "not CSV": ('email,"webinar title\n', ["row 1: not valid CSV (unexpected end of data)"]),
    "not UTF-8": (
        LATIN_1.encode("latin-1"),
        [f"the file is not UTF-8 text (byte {LATIN_1_BYTE} cannot be read): save it "
         f"as \"CSV UTF-8\" and upload it again."]),
    "binary": (
        b"%PDF-1.7\n\x00\x00\x00binary",
        ["the file is not a CSV text file: save the attendance list as \"CSV UTF-8\"."]),
}


@pytest.mark.parametrize(("content", "expected"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_plan_lists_the_problems_of_a_bad_file(content, expected):
    assert problems(content) == expected


def test_plan_refuses_more_rows_than_the_limit():
    text = csv_text(*[GOOD_ROW] * (MAX_ROWS + 1))

    assert problems(text) == [
        f"the file has {MAX_ROWS + 1} rows; at most {MAX_ROWS} can be imported at once: split "
        f"it into smaller files."]


def test_plan_accepts_exactly_the_row_limit():
    plan = plan_attendance(csv_text(*[GOOD_ROW] * MAX_ROWS), today=TODAY)

    assert len(plan.rows) == MAX_ROWS


def test_plan_refuses_a_file_over_the_size_limit():
    data = csv_text(GOOD_ROW).encode().ljust(MAX_FILE_BYTES + 1, b"\n")

    assert problems(data) == ["the file is larger than 5 MB: split it into smaller files."]


# --- The command -------------------------------------------------------------------------------

def command(path: Path, reviewer: str = "Rita.Reviewer@example.com") -> str:
    out = StringIO()
    call_command("import_attendance", str(path), "--reviewer", reviewer, "--date",
                 TODAY.isoformat(), stdout=out)
    return out.getvalue()


def test_command_imports_and_lists_the_rows_that_logged_nothing(csv_file, reviewer, anna):
    path = csv_file(csv_text("anna@example.com,Threat Intel 101,2025-05-20,60,60",
                             "nobody@example.com,Threat Intel 101,2025-05-20,60,60",
                             "anna@example.com,Cloud Logging,2025-05-21,60,30"))

    output = command(path)

    assert output.splitlines() == [
        "Rows: 3. Logged: 1. Attended too little: 1. Unknown email: 1. Refused by the rules: "
        "0. Duplicate: 0.",
        "row 3 (nobody@example.com): unknown email: no holder has the email address "
        "nobody@example.com",
        "row 4 (anna@example.com): attended too little: attended 30 of 60 minutes (50 %); at "
        "least 80 % is needed"]
    assert Entry.objects.get().state_changes.get().changed_by == reviewer


def test_command_refuses_a_malformed_file_whole(csv_file, reviewer, anna):
    path = csv_file(csv_text("anna@example.com,Threat Intel 101,2025-05-20,60,60",
                             "anna@example.com,Cloud Logging,2025-02-30,60,60",
                             "anna@example.com,Cloud Logging,2025-05-21,60,sixty"))

    with pytest.raises(CommandError) as error:
        command(path)

    assert str(error.value).splitlines() == [
        f"Nothing was imported from {path}. Fix these problems and run it again:",
        "row 3: invalid webinar date '2025-02-30' (use YYYY-MM-DD, a real day)",
        "row 4: attended minutes 'sixty' is not a whole number of minutes"]
    assert (Entry.objects.count(), EntryStateChange.objects.count()) == (0, 0)


@pytest.mark.parametrize("email", ["nobody@example.com", "anna@example.com"])
def test_command_needs_a_staff_reviewer(csv_file, reviewer, anna, email):
    path = csv_file(csv_text(GOOD_ROW))

    with pytest.raises(CommandError) as error:
        command(path, reviewer=email)

    assert str(error.value) == f"No active staff member has the email address {email}."
    assert Entry.objects.count() == 0


def test_command_refuses_a_missing_file(tmp_path, reviewer):
    path = tmp_path / "nowhere.csv"

    with pytest.raises(CommandError) as error:
        command(path)

    assert str(error.value) == f"{path}: no such file."

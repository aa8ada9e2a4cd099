"""The attendance import page in the entry admin, end to end through the test client."""

from datetime import date

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from submissions.attendance import Outcome
from submissions.models import Entry, EntryStateChange
from submissions.standings.check import check_standings
from tests.factories import CertificationFactory, UserFactory
from tests.staff import add_totp, sign_in

pytestmark = pytest.mark.django_db

HEADER = "email,webinar title,webinar date,webinar minutes,attended minutes"
GOOD = (f"{HEADER}\n"
        "anna@example.com,Threat Intel 101,2025-05-20,60,60\n"
        "nobody@example.com,Threat Intel 101,2025-05-20,60,60\n"
        "anna@example.com,Cloud Logging,2025-05-21,60,47\n")


@pytest.fixture(autouse=True)
def _june_2025():
    with time_machine.travel("2025-06-01 10:00 +02:00", tick=False):
        yield


@pytest.fixture
def anna() -> User:
    return CertificationFactory(holder=UserFactory(email="anna@example.com")).holder


def staff(email: str, *, may_import: bool) -> User:
    user = UserFactory(email=email, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_entry"))
    if may_import:
        user.user_permissions.add(Permission.objects.get(codename="import_attendance"))
    add_totp(user)
    return user


@pytest.fixture
def reviewer(client) -> User:
    user = staff("rita@example.com", may_import=True)
    sign_in(client, user)
    return user


def import_url() -> str:
    return reverse("admin:submissions_entry_import_attendance")


def upload(content: str | bytes, name: str = "attendance.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_import_page_shows_the_form_and_no_report(client, reviewer):
    response = client.get(import_url())

    assert response.status_code == 200
    assert response.context["report"] is None
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert "email, webinar title, webinar date, webinar minutes, attended minutes" in page
    assert "at least 80 % of the webinar" in page
    assert 'id="attendance-report"' not in page


def test_import_page_imports_and_reports_each_row(client, reviewer, anna):
    response = client.post(import_url(), {"file": upload(GOOD)})

    assert response.status_code == 200
    report = response.context["report"]
    assert [(r.row.number, r.outcome) for r in report.results] == [
        (2, Outcome.CREATED), (3, Outcome.UNKNOWN_EMAIL), (4, Outcome.BELOW_MINIMUM)]
    entry = Entry.objects.get()
    assert (entry.holder, entry.title, entry.claimed_credits) == (anna, "Threat Intel 101", 1)
    assert EntryStateChange.objects.get().changed_by == reviewer
    assert list(check_standings()) == []
    page = response.content.decode()
    assert "Rows: 3. Logged: 1. Attended too little: 1. Unknown email: 1." in page
    assert '<td data-label="Credits">1.00 credits</td>' in page
    assert 'id="outcome-created"' in page
    assert reverse("admin:submissions_entry_change", args=[entry.pk]) in page
    assert "no holder has the email address nobody@example.com" in page
    assert "attended 47 of 60 minutes (78 %); at least 80 % is needed" in page
    # Empty groups are left out of the rows; their counts stay in the summary.
    assert 'id="outcome-refused"' not in page
    assert 'id="nothing-logged"' not in page


def test_import_page_posting_the_same_file_again_logs_nothing_twice(client, reviewer, anna):
    client.post(import_url(), {"file": upload(GOOD)})

    response = client.post(import_url(), {"file": upload(GOOD)})

    report = response.context["report"]
    assert [r.outcome for r in report.results] == [
        Outcome.DUPLICATE, Outcome.UNKNOWN_EMAIL, Outcome.BELOW_MINIMUM]
    assert Entry.objects.count() == 1
    page = response.content.decode()
    assert 'id="nothing-logged"' in page
    assert f"already imported (entry {Entry.objects.get().pk})" in page


def test_import_page_lists_the_bad_rows_of_a_malformed_file_and_imports_nothing(
        client, reviewer, anna):
    content = GOOD + "anna@example.com,Cloud Logging,2025-02-30,60,60\nanna@example.com,,,,\n"

    response = client.post(import_url(), {"file": upload(content)})

    assert response.status_code == 200
    assert response.context["report"] is None
    assert response.context["form"].errors["file"] == [
        "row 5: invalid webinar date '2025-02-30' (use YYYY-MM-DD, a real day)",
        "row 6: webinar title is empty",
        "row 6: webinar date is empty",
        "row 6: webinar minutes is empty",
        "row 6: attended minutes is empty",
    ]
    assert "Nothing was imported." in response.content.decode()
    assert Entry.objects.count() == 0


def test_import_page_reports_minutes_of_thousands_of_digits_as_row_problems(
        client, reviewer, anna):
    content = (f"{HEADER}\nanna@example.com,Threat Intel 101,2025-05-20,{'9' * 5000},60\n"
               f"anna@example.com,Cloud Logging,2025-05-21,60,{'9' * 5000}\n")

    response = client.post(import_url(), {"file": upload(content)})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "row 2: webinar minutes must be between 1 and 1440",
        "row 3: attended minutes must be between 0 and 1440",
    ]
    assert Entry.objects.count() == 0


def test_import_page_judges_the_content_not_the_file_name(client, reviewer, anna):
    pdf = client.post(import_url(), {"file": upload(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")})
    named_pdf = client.post(import_url(), {"file": upload(GOOD, name="attendance.pdf")})

    assert pdf.context["form"].errors["file"] == [
        "the file is not UTF-8 text (byte 10 cannot be read): save it as \"CSV UTF-8\" and "
        "upload it again."]
    assert [r.outcome for r in named_pdf.context["report"].created] == [Outcome.CREATED]


def test_import_page_refuses_an_empty_file_with_what_it_needs(client, reviewer):
    response = client.post(import_url(), {"file": upload(b"")})

    assert response.context["form"].errors["file"] == [
        "the file is empty: it needs the header line email, webinar title, webinar date, "
        "webinar minutes, attended minutes and one row per attendee."]


def test_import_page_shows_at_most_200_problems(client, reviewer):
    content = HEADER + "\n" + "anna@example.com,T,2025-05-20,60,x\n" * 250

    response = client.post(import_url(), {"file": upload(content)})

    errors = response.context["form"].errors["file"]
    assert (len(errors), errors[-1]) == (201, "… and 50 more problems.")


def test_import_page_needs_the_import_permission(client, anna):
    sign_in(client, staff("sam@example.com", may_import=False))

    get = client.get(import_url())
    post = client.post(import_url(), {"file": upload(GOOD)})

    assert (get.status_code, post.status_code) == (403, 403)
    assert Entry.objects.count() == 0


def test_import_page_is_refused_to_holders(client, anna):
    client.force_login(anna)

    response = client.get(import_url())

    assert response.status_code == 403


def test_import_page_superuser_may_import(admin_client, anna):
    response = admin_client.post(import_url(), {"file": upload(GOOD)})

    assert len(response.context["report"].created) == 1


def test_entry_changelist_links_to_the_import_for_those_who_may_import(client, reviewer):
    changelist = reverse("admin:submissions_entry_changelist")

    allowed = client.get(changelist).content.decode()
    sign_in(client, staff("sam@example.com", may_import=False))
    refused = client.get(changelist).content.decode()

    assert f'href="{import_url()}"' in allowed
    assert f'href="{import_url()}"' not in refused


def test_attendance_import_dates_are_today_in_the_portal_time_zone(client, reviewer, anna):
    # 23:30 on 31 May in UTC is already 1 June in Amsterdam: a webinar of 1 June is not future.
    content = f"{HEADER}\nanna@example.com,Morning Webinar,2025-06-01,60,60\n"
    with time_machine.travel("2025-05-31 23:30 +00:00", tick=False):
        response = client.post(import_url(), {"file": upload(content)})

    assert [r.outcome for r in response.context["report"].results] == [Outcome.CREATED]
    assert Entry.objects.get().reported_on == date(2025, 6, 1)



def test_import_page_takes_fewer_rows_than_the_command(client, reviewer):
    row = "anna@example.com,Threat Intel 101,2025-05-20,60,60\n"

    response = client.post(import_url(), {"file": upload(HEADER + "\n" + row * 1001)})

    assert response.context["form"].errors["file"] == [
        "the file has 1001 rows; at most 1000 can be imported at once: split it into smaller "
        "files."]
    assert Entry.objects.count() == 0


def test_imported_entry_says_staff_logged_it_from_an_import_on_both_pages(client, reviewer,
                                                                          anna):
    client.post(import_url(), {"file": upload(GOOD)})
    entry = Entry.objects.get()

    admin_page = client.get(reverse("admin:submissions_entry_change", args=[entry.pk]))
    client.force_login(anna)
    holder_page = client.get(reverse("submissions:entry_detail", args=[entry.pk]))

    assert (f"{reviewer.full_name} (staff), from a webinar attendance import on 1 June 2025, "
            in admin_page.content.decode())
    assert ("Logged for you by staff from a webinar attendance import on 1 June 2025."
            in holder_page.content.decode())


def test_entry_the_holder_logged_says_so_in_the_admin(client, reviewer, anna):
    from submissions.services import EntryDetails, log_entry
    from tests.factories import activity

    entry = log_entry(holder=anna, today=date(2025, 6, 1), details=EntryDetails.from_data({
        "activity_type": activity("other-course"), "activity_date": date(2025, 5, 1),
        "title": "Own course", "hours": 2, "relevance_confirmed": True}))

    page = client.get(reverse("admin:submissions_entry_change", args=[entry.pk])).content.decode()

    assert "the holder" in page
    assert "attendance import" not in page

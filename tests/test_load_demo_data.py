from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import strip_tags

from accounts.models import User
from accounts.roles import ADMINISTRATOR, BOARD, REVIEWER
from certifications.enums import YearState
from certifications.models import Certification, CertificationYear
from cpe_portal.management.commands.load_demo_data import HOLDERS, _earliest_current_year_start
from submissions.enums import EntryState
from submissions.models import Entry, EntryStateChange
from submissions.selectors.holder import certification_standings
from yearend.closing import close_certification_years

pytestmark = pytest.mark.django_db

TODAY = "2026-05-20"
HOLDER_EMAILS = ["fatima@example.com", "hanna@example.com", "piet@example.com",
                 "sam@example.com"]
STAFF = {"admin@example.com": ("cpe-admin-demo", ADMINISTRATOR),
         "board@example.com": ("cpe-staff-demo", BOARD),
         "reviewer@example.com": ("cpe-staff-demo", REVIEWER)}
DEMO_EMAILS = sorted([*HOLDER_EMAILS, *STAFF])


def load(today: str = TODAY) -> str:
    out = StringIO()
    call_command("load_demo_data", "--date", today, stdout=out)
    return out.getvalue()


def stored() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (
        User, EmailAddress, Certification, CertificationYear, Entry, EntryStateChange))


def entries_by_holder() -> dict[str, int]:
    return {
        email: Entry.objects.filter(holder__email=email).count() for email in HOLDER_EMAILS
    }


def test_load_demo_data_second_run_creates_nothing():
    load()
    before = stored()

    output = load()

    assert stored() == before
    assert sorted(User.objects.values_list("email", flat=True)) == DEMO_EMAILS
    assert output.count("Entries already logged; none added.") == 3


def test_load_demo_data_logins_authenticate():
    load()

    staff = {email: authenticate(email=email, password=password)
             for email, (password, _role) in STAFF.items()}
    holders = [authenticate(email=email, password="cpe-demo-2026") for email in HOLDER_EMAILS]

    assert {email: (user.is_staff, user.is_superuser) for email, user in staff.items()} == {
        email: (True, False) for email in STAFF}
    assert [holder.email for holder in holders] == HOLDER_EMAILS
    assert [holder.is_staff for holder in holders] == [False] * 4


def test_load_demo_data_staff_have_their_roles_and_no_authenticator_yet():
    load()

    assert {user.email: [group.name for group in user.groups.all()]
            for user in User.objects.filter(is_staff=True)} == {
        email: [role] for email, (_password, role) in STAFF.items()}
    assert Authenticator.objects.count() == 0
    assert User.objects.filter(is_staff=False, groups__isnull=False).count() == 0


def test_load_demo_data_gives_existing_demo_staff_their_role_back():
    load()
    reviewer = User.objects.get(email="reviewer@example.com")
    reviewer.groups.clear()

    load()

    assert [group.name for group in reviewer.groups.all()] == [REVIEWER]


def test_load_demo_data_every_login_has_a_verified_primary_address():
    load()

    assert sorted(EmailAddress.objects.values_list("email", "verified", "primary")) == [
        (email, True, True) for email in DEMO_EMAILS]


def test_load_demo_data_awards_the_demo_certifications():
    load()

    assert sorted(Certification.objects.values_list(
        "holder__email", "title__code", "awarded_on")) == [
        ("fatima@example.com", "EHF", date(2024, 5, 20)),
        ("hanna@example.com", "ISE", date(2024, 9, 1)),
        ("hanna@example.com", "ISP", date(2023, 3, 15)),
        ("piet@example.com", "DPP", date(2022, 6, 30)),
        ("sam@example.com", "CISO", date(2021, 11, 10)),
        ("sam@example.com", "SOC-CA", date(2024, 2, 29)),
    ]


def test_load_demo_data_foundation_holder_has_no_entries():
    load()

    assert Entry.objects.filter(holder__email="fatima@example.com").count() == 0


@pytest.mark.parametrize("today", ["2024-09-01", "2025-02-28", "2026-02-28", "2026-03-15",
                                   "2026-05-20", "2026-06-30", "2026-11-10", "2028-02-29"])
def test_load_demo_data_logs_every_entry_on_any_day(today: str):
    output = load(today)

    assert "Skipped" not in output
    assert entries_by_holder() == {"fatima@example.com": 0, "hanna@example.com": 7,
                                   "piet@example.com": 4, "sam@example.com": 6}
    assert Entry.objects.filter(activity_date__gt=date.fromisoformat(today)).count() == 0


def test_load_demo_data_holds_a_mix_of_entry_states():
    load()

    assert sorted(Entry.objects.values_list("holder__email", "state").filter(
        state=EntryState.PENDING_APPROVAL)) == [
        ("hanna@example.com", EntryState.PENDING_APPROVAL),
        ("sam@example.com", EntryState.PENDING_APPROVAL)]


def test_load_demo_data_piet_is_a_few_credits_short():
    load()
    piet = User.objects.get(email="piet@example.com")

    [standing] = certification_standings(holder=piet, today=date.fromisoformat(TODAY))

    assert (standing.current.counted, standing.current.missing) == (
        Decimal("15.83"), Decimal("4.17"))


def test_load_demo_data_hanna_reads_that_her_expert_year_ended_short_then_decertified(client):
    load("2026-11-29")
    client.force_login(User.objects.get(email="hanna@example.com"))

    def dashboard() -> str:
        with time_machine.travel("2026-11-29 12:00 +01:00", tick=False):
            html = client.get(reverse("home")).content.decode()
        return " ".join(strip_tags(html[html.index("<main"):html.index("</main>")]).split())

    before = dashboard()
    close_certification_years(today=date(2026, 11, 29))
    after = dashboard()

    assert ("Information Security Expert Expert · awarded 1 September 2024 Year 2 Missed — "
            "being closed Year 2 (1 September 2025 to 31 August 2026) ended with 19 of 40 "
            "credits, short of the requirement.") in before
    assert ("Information Security Expert Expert · awarded 1 September 2024 Decertified This "
            "certification was decertified on 29 November 2026 because year 2 (1 September 2025 "
            "to 31 August 2026) ended with 19 of 40 credits.") in after
    assert "until 27 February 2027" in after


def test_load_demo_data_keeps_an_existing_holders_password():
    load()
    piet = User.objects.get(email="piet@example.com")
    piet.set_password("piets own secret")
    piet.save()

    load()

    assert authenticate(email="piet@example.com", password="piets own secret") == piet


def test_load_demo_data_refuses_a_day_before_the_demo_awards():
    with pytest.raises(CommandError) as error:
        load("2024-08-31")

    assert str(error.value) == (
        "The demo awards run up to 2024-09-01; use a --date on or after it.")
    assert stored() == (0, 0, 0, 0, 0, 0)


def test_load_demo_data_records_the_years_before_its_entries_as_closed():
    load()

    for demo in HOLDERS:
        first_day = _earliest_current_year_start(demo, date.fromisoformat(TODAY))
        years = CertificationYear.objects.filter(certification__holder__email=demo.email)
        assert set(years.filter(ends_on__lt=first_day).values_list("state", flat=True)) <= {
            YearState.MET, YearState.EXEMPT}
        assert set(years.filter(ends_on__gte=first_day).values_list("state", flat=True)) == {
            YearState.OPEN}


def test_load_demo_data_hanna_s_expert_year_ends_short_and_the_close_decertifies_it():
    load("2026-11-29")

    run = close_certification_years(today=date(2026, 11, 29))

    assert (run.decertified, run.met) == (1, 0)
    expert = CertificationYear.objects.get(state=YearState.NOT_MET)
    assert (expert.certification.holder.email, expert.certification.title.code, expert.number,
            expert.counted_credits, expert.required_credits) == (
        "hanna@example.com", "ISE", 2, Decimal("19.00"), Decimal("40.00"))

"""The holders overview and the compliance summary in the admin: what they show, their filters,
read-only, and a query count that does not grow with the holders."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from certifications.enums import CertificationStatus, YearState
from certifications.models import Certification, CertificationYear
from certifications.services import ensure_certification_years
from common.admin import EstimatedCountPaginator
from submissions.counting import Progress, progress
from submissions.models import Holder
from submissions.selectors.overview import (
    compliance_by_level,
    compliance_by_title,
    deciding_year,
    year_at_risk,
)
from tests.factories import PASSWORD, title
from tests.staff import add_totp, sign_in

pytestmark = pytest.mark.django_db
# Certifications awarded on 1 January 2024 are in their second year, 2025, which is 151 days
# old: a Practitioner (20 credits) is at risk below 20 * (152 - 90) / 365 = 3.40 credits.
TODAY = date(2025, 6, 1)
AWARDED = date(2024, 1, 1)
CLOSED_AT = datetime(2025, 1, 31, 2, 0, tzinfo=UTC)
CHANGELIST = reverse("admin:submissions_holder_changelist")
SUMMARY = reverse("admin:submissions_holder_summary")


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel("2025-06-01 10:00 +02:00", tick=False):
        yield


@pytest.fixture
def staff_client(admin_client):
    return admin_client


_numbers = iter(range(1_000_000))


def holder(*certifications: tuple[str, Decimal | None], name: str = "") -> User:
    """A holder with a certification per (title code, counted credits in the current year);
    None as the credits decertifies the certification on 1 March 2025. The first year, 2024,
    was closed as met at its deadline: the current year is the one that decides."""
    number = next(_numbers)
    user = User.objects.create(email=f"h{number}@example.com",
                               full_name=name or f"Holder {number:04d}")
    for code, counted in certifications:
        certification = Certification.objects.create(
            holder=user, title=title(code), awarded_on=AWARDED,
            **({"status": CertificationStatus.DECERTIFIED, "decertified_on": date(2025, 3, 1)}
               if counted is None else {}))
        ensure_certification_years(today=TODAY, certifications=Certification.objects.filter(
            pk=certification.pk).select_related("title__level"))
        certification.years.filter(number=1).update(
            state=YearState.MET, counted_credits=F("required_credits"),
            counted_at_close=F("required_credits"), closed_at=CLOSED_AT)
        if counted is not None:
            certification.years.filter(number=2).update(counted_credits=counted)
    return user


def listed(response) -> list[str]:
    return [h.email for h in response.context["cl"].result_list]


def chart_counts(response) -> dict[str, list[str]]:
    """The compliance chart's numbers in words beside each title's bar, symbol first."""
    return {bar.row.name: [f"{c.symbol} {c.label}".strip() for c in counts]
            for bar, counts in response.context["bars"]}


# --- At risk, in SQL and in Python ------------------------------------------------------------

def test_year_at_risk_in_sql_agrees_with_progress():
    # Years of every age on TODAY (awards over the last year and a half), with counted credits
    # around the pro-rata line and the requirement.
    user = User.objects.create(email="many@example.com", full_name="Many Years")
    codes = ["ISP", "DPP", "ITSP", "EHP", "BCP", "SOC-CA", "SOC-LA", "ISE", "DPE", "ITSE",
             "EHE", "BCE", "CISO", "CDPO", "CBCO"]
    for index, code in enumerate(codes):
        Certification.objects.create(holder=user, title=title(code),
                                     awarded_on=TODAY - timedelta(days=40 * index + 3))
    ensure_certification_years(today=TODAY)
    years = list(CertificationYear.objects.filter(certification__holder=user))
    for index, year in enumerate(years):
        year.counted_credits = year.required_credits * Decimal(index % 6) / 5
        year.save(update_fields=["counted_credits"])

    in_sql = set(CertificationYear.objects.filter(year_at_risk(TODAY)).values_list("pk",
                                                                                    flat=True))

    in_python = {y.pk for y in years if progress(
        counted=y.counted_credits, requirement=y.required_credits, starts_on=y.starts_on,
        ends_on=y.ends_on, today=TODAY) == Progress.AT_RISK}
    assert in_sql == in_python
    assert 0 < len(in_sql) < len(years)


@pytest.mark.parametrize(("states", "deciding"), [
    ((YearState.MET, YearState.OPEN, YearState.OPEN), 2),
    ((YearState.MET, YearState.WAITING, YearState.OPEN), 2),
    # A later year closed before an earlier held one leaves the earlier one deciding.
    ((YearState.WAITING, YearState.MET, YearState.OPEN), 1),
    ((YearState.OPEN, YearState.OPEN, YearState.OPEN), 1),
    ((YearState.MET, YearState.NOT_MET, YearState.EXEMPT), None),
])
def test_deciding_year_is_the_earliest_year_not_closed(states, deciding):
    user = User.objects.create(email="three@example.com", full_name="Three Years")
    certification = Certification.objects.create(holder=user, title=title("ISP"),
                                                 awarded_on=date(2023, 1, 1))
    ensure_certification_years(today=TODAY)
    for number, state in enumerate(states, start=1):
        certification.years.filter(number=number).update(state=state)

    found = list(CertificationYear.objects.filter(deciding_year()).values_list("number",
                                                                               flat=True))

    assert found == ([] if deciding is None else [deciding])


@pytest.mark.parametrize(("awarded_on", "at_risk"), [
    # The current year ends 30 days after TODAY: not yet "fewer than 30 days left".
    (date(2024, 7, 2), False),
    (date(2024, 7, 1), True),
])
def test_year_at_risk_thirty_days_before_its_end(awarded_on, at_risk):
    user = User.objects.create(email="edge@example.com", full_name="Edge Case")
    certification = Certification.objects.create(holder=user, title=title("ISP"),
                                                 awarded_on=awarded_on)
    ensure_certification_years(today=TODAY)
    # A cent short of the requirement, far ahead of the pro-rata share.
    year = CertificationYear.objects.get(certification=certification)
    year.counted_credits = year.required_credits - Decimal("0.01")
    year.save(update_fields=["counted_credits"])

    in_sql = CertificationYear.objects.filter(year_at_risk(TODAY), pk=year.pk).exists()

    assert (year.ends_on - TODAY).days == (30 if not at_risk else 29)
    assert in_sql is at_risk
    assert (progress(counted=year.counted_credits, requirement=year.required_credits,
                     starts_on=year.starts_on, ends_on=year.ends_on, today=TODAY)
            == Progress.AT_RISK) is at_risk


# --- The holders overview ---------------------------------------------------------------------

def test_holders_overview_shows_deciding_years_of_certifications_that_collect_cpe(staff_client):
    hanna = holder(("ISP", Decimal("5")), ("ISE", Decimal("40")), ("ISF", Decimal("0")),
                   name="Hanna de Vries")

    response = staff_client.get(CHANGELIST)

    page = response.content.decode()
    assert response.status_code == 200
    assert listed(response) == [hanna.email]
    assert ("Information Security Practitioner (year 2): 5.00 of 20.00 credits, deadline "
            "30 January 2026, 243 days left — "
            '<strong class="holder-progress holder-progress-on_track">'
            '<span aria-hidden="true">●</span> on track</strong>') in page
    assert ("Information Security Expert (year 2): 40.00 of 40.00 credits, deadline "
            "30 January 2026, 243 days left") in page
    # Foundation titles collect no CPE.
    assert "Information Security Foundation" not in page.split('id="result_list"')[1].split(
        "</table>")[0]
    assert reverse("admin:accounts_user_change", args=[hanna.pk]) in page


def test_holders_overview_lists_holders_only(staff_client):
    certified = holder(("DPP", Decimal("1")))
    User.objects.create(email="no-certification@example.com", full_name="Signed Up")

    response = staff_client.get(CHANGELIST)

    assert listed(response) == [certified.email]


def test_holders_overview_shows_decertified_titles(staff_client):
    holder(("DPP", None), ("ISP", Decimal("20")))

    response = staff_client.get(CHANGELIST)

    # A symbol and a word beside the colour, and the date as every date in the admin reads.
    assert ('Data Protection Practitioner — <strong class="holder-progress '
            'holder-progress-decertified"><span aria-hidden="true">✖</span> decertified</strong> '
            "on 1 March 2025") in response.content.decode()


@pytest.mark.parametrize(("standing", "expected"), [
    ("at_risk", ["at-risk", "met-and-at-risk"]),
    ("on_track", ["on-track"]),
    # Met in every current year; a decertified title has none.
    ("met", ["decertified", "met"]),
    ("decertified", ["decertified"]),
])
def test_holders_overview_filters_by_standing(staff_client, standing, expected):
    holder(("ISP", Decimal("1")), name="at-risk")
    holder(("ISP", Decimal("10")), name="on-track")
    holder(("ISP", Decimal("20")), ("DPE", Decimal("45")), name="met")
    holder(("ISP", Decimal("25")), ("DPE", Decimal("2")), name="met-and-at-risk")
    holder(("ISP", Decimal("20")), ("DPP", None), name="decertified")

    response = staff_client.get(CHANGELIST, {"standing": standing})

    assert sorted(h.full_name for h in response.context["cl"].result_list) == expected


def test_holders_overview_standing_follows_the_chosen_title_and_level(staff_client):
    holder(("ISP", Decimal("25")), ("DPE", Decimal("2")), name="met in ISP, at risk in DPE")
    holder(("ISP", Decimal("1")), name="at risk in ISP")
    isp, dpe = title("ISP"), title("DPE")

    at_risk_in_isp = staff_client.get(CHANGELIST, {"standing": "at_risk", "title": isp.pk})
    met_in_isp = staff_client.get(CHANGELIST, {"standing": "met", "title": isp.pk})
    at_risk_expert = staff_client.get(CHANGELIST, {"standing": "at_risk",
                                                   "level": dpe.level_id})

    assert [h.full_name for h in at_risk_in_isp.context["cl"].result_list] == ["at risk in ISP"]
    assert [h.full_name for h in met_in_isp.context["cl"].result_list] == [
        "met in ISP, at risk in DPE"]
    assert [h.full_name for h in at_risk_expert.context["cl"].result_list] == [
        "met in ISP, at risk in DPE"]


def test_holders_overview_filters_by_title_and_level(staff_client):
    practitioner = holder(("DPP", Decimal("1")))
    expert = holder(("ITSE", Decimal("1")))

    by_title = staff_client.get(CHANGELIST, {"title": title("DPP").pk})
    by_level = staff_client.get(CHANGELIST, {"level": title("ITSE").level_id})
    nonsense = staff_client.get(CHANGELIST, {"title": "x' OR 1=1", "standing": "nonsense"})

    assert listed(by_title) == [practitioner.email]
    assert listed(by_level) == [expert.email]
    assert nonsense.status_code in (200, 302)


def test_holders_overview_searches_names_and_emails(staff_client):
    piet = holder(("DPP", Decimal("1")), name="Piet Jansen")
    holder(("DPP", Decimal("1")), name="Sam Okafor")

    by_name = staff_client.get(CHANGELIST, {"q": "jansen"})
    by_email = staff_client.get(CHANGELIST, {"q": piet.email.upper()})

    assert listed(by_name) == listed(by_email) == [piet.email]


def sam_past_his_year() -> User:
    """Sam's Expert year 1 (10 May 2024 to 9 May 2025) ended with 3 of 40 credits; its
    deadline, 8 June 2025, is 7 days away. His year 2 began on 10 May with 1 credit."""
    sam = User.objects.create(email="sam@example.com", full_name="Sam Okafor")
    Certification.objects.create(holder=sam, title=title("DPE"), awarded_on=date(2024, 5, 10))
    ensure_certification_years(today=TODAY)
    CertificationYear.objects.filter(certification__holder=sam, number=1).update(
        counted_credits=Decimal("3"))
    CertificationYear.objects.filter(certification__holder=sam, number=2).update(
        counted_credits=Decimal("1"))
    return sam


def held_year(*, since: date, counted: Decimal = Decimal("5")) -> User:
    """A Practitioner whose year 1 (2024) the close holds for decisions since `since`."""
    user = holder(("ISP", Decimal("12")), name=f"Held since {since}")
    CertificationYear.objects.filter(certification__holder=user, number=1).update(
        state=YearState.WAITING, held_since=since, counted_credits=counted,
        counted_at_close=None, closed_at=None)
    return user


def test_holders_overview_shows_a_year_past_its_end_inside_its_window_at_risk(staff_client):
    sam_past_his_year()

    page = staff_client.get(CHANGELIST).content.decode()

    assert ("Data Protection Expert (year 1): 3.00 of 40.00 credits, deadline 8 June 2025, "
            "7 days left — "
            '<strong class="holder-progress holder-progress-at_risk">'
            '<span aria-hidden="true">▲</span> at risk</strong>') in page
    assert "1.00 of 40.00" not in page


def test_holders_overview_says_a_held_year_is_held_and_since_when(staff_client):
    held_year(since=date(2025, 2, 1))

    page = staff_client.get(CHANGELIST).content.decode()

    assert ("Information Security Practitioner (year 1): 5.00 of 20.00 credits, deadline "
            "30 January 2025, held for decisions since 1 February 2025 (120 days) — "
            '<strong class="holder-progress holder-progress-held">'
            '<span aria-hidden="true">▲</span> held</strong>') in page
    assert "12.00 of 20.00" not in page


@pytest.mark.parametrize(("standing", "expected"), [
    ("at_risk", ["Held since 2025-02-01", "Sam Okafor"]),
    ("on_track", []),
    ("met", []),
])
def test_holders_overview_filters_years_past_their_end_and_held_years_as_at_risk(
        staff_client, standing, expected):
    sam_past_his_year()
    held_year(since=date(2025, 2, 1))

    response = staff_client.get(CHANGELIST, {"standing": standing})

    assert sorted(h.full_name for h in response.context["cl"].result_list) == expected


def test_compliance_summary_counts_deciding_years(staff_client):
    sam_past_his_year()
    held_year(since=date(2025, 2, 1))
    holder(("ISP", Decimal("20")))

    rows = {row.name: row for row in compliance_by_title(today=TODAY)}
    response = staff_client.get(SUMMARY)

    dpe, isp = rows["Data Protection Expert"], rows["Information Security Practitioner"]
    assert (dpe.holders, dpe.met, dpe.on_track, dpe.at_risk) == (1, 0, 0, 1)
    assert (isp.holders, isp.met, isp.on_track, isp.at_risk) == (2, 1, 0, 1)
    assert chart_counts(response)["Data Protection Expert"] == [
        "1 holder", "▲ 1 at risk or held"]


def test_holders_overview_and_summary_queries_do_not_grow_with_held_and_past_years(
        staff_client):
    sam_past_his_year()
    held_year(since=date(2025, 2, 1))
    with CaptureQueriesContext(connection) as few:
        staff_client.get(CHANGELIST, {"standing": "at_risk"})
        staff_client.get(SUMMARY)
    for day in range(2, 22):
        held_year(since=date(2025, 2, day))
    with CaptureQueriesContext(connection) as many:
        response = staff_client.get(CHANGELIST, {"standing": "at_risk"})
        staff_client.get(SUMMARY)

    assert len(response.context["cl"].result_list) == 22
    assert len(many) == len(few)


def test_holders_overview_queries_do_not_grow_with_holders(staff_client):
    for _ in range(5):
        holder(("ISP", Decimal("3")), ("DPE", Decimal("50")), ("DPP", None))
    with CaptureQueriesContext(connection) as five:
        first = staff_client.get(CHANGELIST)

    # The other 195 in bulk: the same shape, fewer round trips to make them.
    users = User.objects.bulk_create(User(email=f"bulk{n}@example.com", full_name=f"Bulk {n}")
                                     for n in range(195))
    Certification.objects.bulk_create(
        Certification(holder=user, title=title(code), awarded_on=AWARDED)
        for user in users for code in ("ISP", "DPE"))
    ensure_certification_years(today=TODAY)
    with CaptureQueriesContext(connection) as two_hundred:
        second = staff_client.get(CHANGELIST)

    assert len(first.context["cl"].result_list) == 5
    assert len(second.context["cl"].result_list) == 50
    assert second.context["cl"].result_count == 200
    assert len(two_hundred) == len(five)


def test_holders_overview_is_read_only(staff_client):
    hanna = holder(("ISP", Decimal("1")))

    add = staff_client.get(reverse("admin:submissions_holder_add"))
    change = staff_client.get(reverse("admin:submissions_holder_change", args=[hanna.pk]))
    delete = staff_client.get(reverse("admin:submissions_holder_delete", args=[hanna.pk]))

    assert add.status_code == 403
    assert change.status_code == 302
    assert change.url == reverse("admin:accounts_user_change", args=[hanna.pk])
    assert delete.status_code == 403
    assert Holder.objects.filter(pk=hanna.pk).exists()


def test_holders_overview_needs_the_view_permission(client):
    staff = User.objects.create_user("reviewer@example.com", PASSWORD, full_name="Rita Reviewer",
                                     is_staff=True)
    add_totp(staff)
    sign_in(client, staff)

    without = [client.get(CHANGELIST).status_code, client.get(SUMMARY).status_code]
    staff.user_permissions.add(Permission.objects.get(codename="view_holder"))
    with_permission = [client.get(CHANGELIST).status_code, client.get(SUMMARY).status_code]

    assert without == [403, 403]
    assert with_permission == [200, 200]


# --- The compliance summary -------------------------------------------------------------------

@pytest.fixture
def population():
    """Practitioner titles (20 credits) and an Expert title (40), on TODAY:
    ISP: met, met, on track, at risk, decertified on 1 March 2025 (and one in 2024);
    DPP: at risk; DPE: met."""
    holder(("ISP", Decimal("20")), ("DPE", Decimal("40")))
    holder(("ISP", Decimal("25")), ("DPP", Decimal("3")))
    holder(("ISP", Decimal("3.40")))
    holder(("ISP", Decimal("3.39")))
    holder(("ISP", None))
    earlier = holder(("ISP", Decimal("0")))
    Certification.objects.filter(holder=earlier).update(
        status=CertificationStatus.DECERTIFIED, decertified_on=date(2024, 12, 1))
    holder(("ISF", Decimal("0")))


def test_compliance_by_title_counts_a_known_population(population):
    rows = {row.name: row for row in compliance_by_title(today=TODAY)}

    assert list(rows) == ["Data Protection Practitioner", "Information Security Practitioner",
                          "Data Protection Expert"]
    isp = rows["Information Security Practitioner"]
    assert (isp.holders, isp.met, isp.on_track, isp.at_risk, isp.decertified) == (4, 2, 1, 1, 1)
    dpp = rows["Data Protection Practitioner"]
    assert (dpp.holders, dpp.met, dpp.on_track, dpp.at_risk, dpp.decertified) == (1, 0, 0, 1, 0)
    dpe = rows["Data Protection Expert"]
    assert (dpe.holders, dpe.met, dpe.on_track, dpe.at_risk, dpe.decertified) == (1, 1, 0, 0, 0)
    assert isp.percent_met == 50


def test_compliance_by_level_adds_up_its_titles(population):
    rows = {row.name: row for row in compliance_by_level(compliance_by_title(today=TODAY))}

    assert list(rows) == ["Practitioner", "Expert"]
    practitioner = rows["Practitioner"]
    # The second holder is met in ISP and at risk in DPP: counted in each.
    assert (practitioner.holders, practitioner.met, practitioner.on_track, practitioner.at_risk,
            practitioner.decertified) == (5, 2, 1, 2, 1)
    assert (rows["Expert"].holders, rows["Expert"].met) == (1, 1)


def test_compliance_summary_page_draws_the_chart_and_tables(staff_client, population):
    response = staff_client.get(SUMMARY)

    page = response.content.decode()
    assert response.status_code == 200
    assert '<figure class="compliance-chart" aria-labelledby="chart-heading">' in page
    # The bars are drawn; their numbers are the text beside them.
    assert ('<svg class="chart-bar" viewBox="0 0 1000 20" preserveAspectRatio="none" '
            'aria-hidden="true" focusable="false">') in page
    assert "<script" not in page.split('id="content-main"')[1]
    assert [row.name for row in response.context["by_level"]] == ["Practitioner", "Expert"]
    assert '<th scope="row">Information Security Practitioner</th>' in page
    assert reverse("admin:submissions_holder_summary") in staff_client.get(
        CHANGELIST).content.decode()


def test_compliance_chart_has_every_series_decertified_too(staff_client, population):
    response = staff_client.get(SUMMARY)

    series = [(s.kind, s.symbol, s.label) for s in response.context["series"]]
    bars = {bar.row.name: bar for bar, _counts in response.context["bars"]}
    assert series == [("met", "✔", "met"), ("on_track", "●", "on track"),
                      ("at_risk", "▲", "at risk or held"),
                      ("decertified", "✖", "decertified this year")]
    # ISP, the longest bar: 2 met, 1 on track, 1 at risk, 1 decertified this year.
    assert [(s.kind, s.count, s.x, s.width)
            for s in bars["Information Security Practitioner"].segments] == [
        ("met", 2, 0, 400), ("on_track", 1, 400, 200), ("at_risk", 1, 600, 200),
        ("decertified", 1, 800, 200)]
    assert '<rect class="chart-decertified" x="800" y="0" width="200" height="20">' in (
        response.content.decode())
    assert chart_counts(response)["Information Security Practitioner"] == [
        "4 holders", "✔ 2 met", "● 1 on track", "▲ 1 at risk or held",
        "✖ 1 decertified this year"]


def test_compliance_chart_shows_a_long_title_whole(staff_client):
    holder(("CISO", Decimal("1")))

    page = staff_client.get(SUMMARY).content.decode()

    assert '<span class="chart-label">Certified Information Security Officer</span>' in page
    assert "…" not in page.split('id="content-main"')[1]


def test_compliance_summary_shows_no_share_met_for_a_title_without_holders(staff_client):
    holder(("DPP", None))
    holder(("ISP", Decimal("0")))
    holder(("ISP", Decimal("20")))

    response = staff_client.get(SUMMARY)

    rows = {row.name: row for row in response.context["by_title"]}
    page = response.content.decode()
    assert rows["Data Protection Practitioner"].percent_met is None
    assert rows["Information Security Practitioner"].percent_met == 50
    assert ('<th scope="row">Data Protection Practitioner</th>\n      <td>Practitioner</td>\n'
            "      <td>0</td>\n      <td>0</td>\n      <td>0</td>\n      <td>0</td>\n"
            "      <td>—</td>") in page
    assert "<td>50%</td>" in page
    assert chart_counts(response)["Data Protection Practitioner"] == [
        "0 holders", "✖ 1 decertified this year"]


def test_compliance_summary_queries_do_not_grow_with_holders(staff_client):
    holder(("ISP", Decimal("3")), ("DPE", Decimal("50")))
    with CaptureQueriesContext(connection) as one:
        staff_client.get(SUMMARY)
    for _ in range(20):
        holder(("ISP", Decimal("30")), ("DPP", None), ("CISO", Decimal("1")))
    with CaptureQueriesContext(connection) as many:
        response = staff_client.get(SUMMARY)

    assert len(response.context["by_title"]) == 4
    assert len(many) == len(one)


def test_holders_overview_says_about_when_the_total_is_estimated(staff_client, monkeypatch):
    for _ in range(6):
        holder(("ISP", Decimal("1")))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE accounts_user")
        cursor.execute("ANALYZE certifications_certification")
    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 3)

    response = staff_client.get(CHANGELIST)

    assert response.context["cl"].paginator.estimated is True
    assert f"about {response.context['cl'].result_count} holders" in response.content.decode()

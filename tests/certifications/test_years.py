from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from certifications.enums import YearState
from certifications.models import Certification, CertificationTitle, CertificationYear
from certifications.services import (
    award_certification,
    decertify_certifications,
    ensure_certification_years,
)
from tests.factories import CertificationFactory, UserFactory, title

pytestmark = pytest.mark.django_db


def test_ensure_certification_years_creates_each_begun_year_once():
    leap = CertificationFactory(awarded_on=date(2024, 2, 29))
    CertificationFactory(title=title("ISE"), awarded_on=date(2026, 6, 1))  # not yet awarded

    assert ensure_certification_years(today=date(2026, 3, 1)) == 3
    assert ensure_certification_years(today=date(2026, 3, 1)) == 0

    years = list(CertificationYear.objects.order_by("number").values_list(
        "certification", "number", "starts_on", "ends_on", "deadline"))
    assert years[1] == (leap.pk, 2, date(2025, 2, 28), date(2026, 2, 27), date(2026, 3, 29))
    assert len(years) == 3


def test_ensure_certification_years_lays_the_windows_of_the_rules_for_every_award_day():
    # Awards on every day of two years around a leap day, of every title (Foundation too); the
    # years laid in the database must be those the rule functions give, at every step.
    titles = list(CertificationTitle.objects.select_related("level"))
    holders = UserFactory.create_batch(37)
    first = date(2023, 12, 1)
    Certification.objects.bulk_create(
        Certification(holder=holders[day // len(titles)], title=titles[day % len(titles)],
                      awarded_on=first + timedelta(days=day))
        for day in range(len(holders) * len(titles)))
    certifications = list(Certification.objects.select_related("title__level"))

    for today in (date(2025, 2, 27), date(2025, 2, 28), date(2026, 3, 1), date(2028, 2, 29)):
        ensure_certification_years(today=today)

        laid = set(CertificationYear.objects.values_list(
            "certification", "number", "starts_on", "ends_on", "deadline", "required_credits"))
        assert laid == {
            (c.pk, window.number, window.starts_on, window.ends_on, window.deadline,
             c.title.level.required_credits)
            for c in certifications for window in c.years_through(today)}


def test_award_certification_creates_years_and_is_idempotent():
    holder = UserFactory()
    certification, changed = award_certification(
        holder=holder, title=title("DPP"), awarded_on=date(2023, 5, 1), today=date(2025, 6, 1))
    assert changed is True
    assert certification.years.count() == 3
    again, changed = award_certification(
        holder=holder, title=title("DPP"), awarded_on=date(2023, 5, 1), today=date(2025, 6, 1))
    assert (again.pk, changed, again.years.count()) == (certification.pk, False, 3)


def test_award_certification_new_date_lays_years_anew():
    holder = UserFactory()
    award_certification(holder=holder, title=title("DPP"), awarded_on=date(2023, 5, 1),
                        today=date(2025, 6, 1))
    certification, changed = award_certification(
        holder=holder, title=title("DPP"), awarded_on=date(2024, 9, 1), today=date(2025, 6, 1))
    assert changed is True
    assert list(certification.years.values_list("number", "starts_on")) == [
        (1, date(2024, 9, 1))]


def test_award_certification_keeps_the_dates_of_a_certification_with_a_closed_year():
    holder = UserFactory()
    certification, _changed = award_certification(
        holder=holder, title=title("DPP"), awarded_on=date(2023, 5, 1), today=date(2025, 6, 1))
    certification.years.filter(number=1).update(state=YearState.MET)

    with pytest.raises(ValidationError):
        award_certification(holder=holder, title=title("DPP"), awarded_on=date(2024, 9, 1),
                            today=date(2025, 6, 1))

    certification.refresh_from_db()
    assert certification.awarded_on == date(2023, 5, 1)
    assert list(certification.years.values_list("number", "starts_on", "state")) == [
        (1, date(2023, 5, 1), YearState.MET), (2, date(2024, 5, 1), YearState.OPEN),
        (3, date(2025, 5, 1), YearState.OPEN)]


def test_open_certification_years_command_takes_a_date(capsys):
    CertificationFactory(awarded_on=date(2024, 1, 1))
    call_command("open_certification_years", "--date", "2025-01-01")
    assert "Opened 2 certification year(s) as of 2025-01-01." in capsys.readouterr().out


def test_decertifying_moves_the_holders_records_version():
    certification = CertificationFactory()
    other = CertificationFactory()
    before = certification.holder.records_version

    decertify_certifications([certification.pk], on=date(2025, 4, 1), reason="Year not met",
                             now=timezone.now())

    certification.holder.refresh_from_db()
    other.holder.refresh_from_db()
    assert (certification.holder.records_version, other.holder.records_version) == (
        before + 1, 0)

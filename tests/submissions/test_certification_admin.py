"""Certifications in the admin: awarding one and correcting its holder, title or award date go
through the services that lay the years again and recount the holders' standings; certification
years are read-only; a holder's page changes no certification."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from certifications.enums import CertificationStatus, YearState
from certifications.models import Certification, CertificationYear
from certifications.services import ensure_certification_years
from submissions.awards import correct_certification
from submissions.enums import DenialKind
from submissions.models import Denial
from tests.factories import CertificationFactory, EntryFactory, UserFactory, title
from tests.test_admin import form_data

D = Decimal
pytestmark = pytest.mark.django_db
REASON = "The register had it wrong."


def laid(certification: Certification) -> Certification:
    ensure_certification_years(today=timezone.localdate(), certifications=[certification])
    return certification


def change_url(certification: Certification) -> str:
    return reverse("admin:certifications_certification_change", args=[certification.pk])


def correct(client, certification: Certification, **data: object):
    page = client.get(change_url(certification))
    return client.post(change_url(certification), form_data(page) | data)


def first_year(certification: Certification) -> CertificationYear:
    return certification.years.get(number=1)


def test_certification_award_date_corrected_in_the_admin_lays_years_and_recounts(
        admin_client, superuser):
    certification = laid(CertificationFactory(awarded_on=date(2024, 1, 1)))
    EntryFactory(holder=certification.holder, activity_date=date(2024, 2, 1), hours=D("6"),
                 claimed_credits=D("6"))
    assert first_year(certification).counted_credits == D("6")

    response = correct(admin_client, certification, awarded_on="2024-03-01", reason=REASON)

    assert response.status_code == 302
    year = first_year(certification)
    # The entry is now dated before the award: it counts toward no year.
    assert (year.starts_on, year.ends_on, year.counted_credits) == (
        date(2024, 3, 1), date(2025, 2, 28), D("0"))
    newest = certification.history.latest()
    assert (newest.awarded_on, newest.history_change_reason, newest.history_user) == (
        date(2024, 3, 1), REASON, superuser)


def test_certification_holder_corrected_in_the_admin_recounts_both_holders(admin_client):
    certification = laid(CertificationFactory(awarded_on=date(2024, 1, 1)))
    EntryFactory(holder=certification.holder, activity_date=date(2024, 2, 1), hours=D("6"),
                 claimed_credits=D("6"))
    rightful = UserFactory()
    EntryFactory(holder=rightful, activity_date=date(2024, 5, 1), hours=D("4"),
                 claimed_credits=D("4"))

    response = correct(admin_client, certification, holder=str(rightful.pk), reason=REASON)

    assert response.status_code == 302
    certification.refresh_from_db()
    assert certification.holder == rightful
    assert first_year(certification).counted_credits == D("4")


def test_certification_correction_without_a_reason_is_refused(admin_client):
    certification = laid(CertificationFactory(awarded_on=date(2024, 1, 1)))

    response = correct(admin_client, certification, awarded_on="2024-03-01")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "reason": ["Say why the certification is changed."]}
    certification.refresh_from_db()
    assert certification.awarded_on == date(2024, 1, 1)


def test_certification_with_a_closed_year_is_shown_read_only_and_not_corrected(admin_client,
                                                                             superuser):
    certification = laid(CertificationFactory(awarded_on=date(2024, 1, 1)))
    CertificationYear.objects.filter(certification=certification, number=1).update(
        state=YearState.MET, counted_credits=D("20"), counted_at_close=D("20"))

    page = admin_client.get(change_url(certification))
    response = correct(admin_client, certification, awarded_on="2024-03-01", reason=REASON)
    with pytest.raises(ValidationError) as refused:
        correct_certification(certification=certification, holder=certification.holder,
                              title=certification.title, awarded_on=date(2024, 3, 1),
                              reason=REASON, by=superuser, today=timezone.localdate())

    assert page.context["adminform"].form.fields == {}
    assert [str(message).split(":")[0] for message in page.context["messages"]] == [
        "Year 1 of this certification was closed or is held by the close"]
    assert response.status_code == 403
    assert refused.value.messages[0].startswith("Year 1 of this certification was closed")
    certification.refresh_from_db()
    year = first_year(certification)
    assert (certification.awarded_on, year.starts_on, year.state, year.counted_credits) == (
        date(2024, 1, 1), date(2024, 1, 1), YearState.MET, D("20"))


def test_certification_named_by_a_denial_is_not_corrected(superuser):
    certification = laid(CertificationFactory(awarded_on=date(2024, 1, 1)))
    Denial.objects.create(holder=certification.holder, kind=DenialKind.DECERTIFIED,
                          certification=certification, denied_on=date(2025, 3, 1))

    with pytest.raises(ValidationError) as refused:
        correct_certification(certification=certification, holder=certification.holder,
                              title=title("ISE"), awarded_on=certification.awarded_on,
                              reason=REASON, by=superuser, today=timezone.localdate())

    assert refused.value.messages[0].startswith("A denial names this certification")
    certification.refresh_from_db()
    assert certification.title == title("ISP")


def test_certification_status_is_not_changed_in_the_admin(admin_client):
    certification = laid(CertificationFactory(awarded_on=date(2024, 1, 1)))

    response = correct(admin_client, certification, status=CertificationStatus.DECERTIFIED,
                       decertified_on="2025-02-01")

    assert response.status_code == 302
    certification.refresh_from_db()
    assert (certification.status, certification.decertified_on) == (
        CertificationStatus.ACTIVE, None)


def test_certification_added_in_the_admin_lays_years_and_counts_entries(admin_client):
    holder = UserFactory()
    EntryFactory(holder=holder, activity_date=date(2024, 5, 1), hours=D("4"),
                 claimed_credits=D("4"))

    response = admin_client.post(reverse("admin:certifications_certification_add"), {
        "holder": holder.pk, "title": title("ISP").pk, "awarded_on": "2024-01-01"})

    assert response.status_code == 302
    certification = Certification.objects.get(holder=holder)
    assert first_year(certification).counted_credits == D("4")


def test_certification_years_are_read_only_in_the_admin(admin_client):
    certification = laid(CertificationFactory(awarded_on=date(2024, 1, 1)))
    year = first_year(certification)
    url = reverse("admin:certifications_certificationyear_change", args=[year.pk])
    page = admin_client.get(url)
    posted = {"certification": certification.pk, "number": "1", "starts_on": "2024-02-01",
              "ends_on": "2025-01-31", "deadline": "2025-03-02", "required_credits": "1",
              "counted_credits": "99", "undecided_credits": "0"}

    changed = admin_client.post(url, posted)
    added = admin_client.post(reverse("admin:certifications_certificationyear_add"),
                              posted | {"number": "9"})
    deleted = admin_client.post(reverse("admin:certifications_certificationyear_delete",
                                        args=[year.pk]), {"post": "yes"})

    assert page.context["adminform"].form.fields == {}
    assert (changed.status_code, added.status_code, deleted.status_code) == (403, 403, 403)
    year.refresh_from_db()
    assert (year.starts_on, year.required_credits, year.counted_credits) == (
        date(2024, 1, 1), D("20"), D("0"))
    assert certification.years.count() == 3


def test_holder_page_changes_no_certification(admin_client):
    certification = laid(CertificationFactory(awarded_on=date(2024, 1, 1)))
    url = reverse("admin:accounts_user_change", args=[certification.holder_id])
    data = form_data(admin_client.get(url))

    admin_client.post(url, data | {"certifications-0-id": str(certification.pk),
                                   "certifications-0-holder": str(certification.holder_id),
                                   "certifications-0-awarded_on": "2024-03-01",
                                   "certifications-0-title": str(title("ISE").pk)})

    certification.refresh_from_db()
    assert (certification.awarded_on, certification.title) == (date(2024, 1, 1), title("ISP"))
    assert first_year(certification).starts_on == date(2024, 1, 1)


def test_holder_page_links_to_the_award_page_for_that_holder(admin_client):
    holder = UserFactory()
    award = f'{reverse("admin:certifications_certification_add")}?holder={holder.pk}'

    page = admin_client.get(reverse("admin:accounts_user_change", args=[holder.pk]))
    form = admin_client.get(award)

    assert award in page.content.decode()
    assert form.context["adminform"].form.initial["holder"] == str(holder.pk)

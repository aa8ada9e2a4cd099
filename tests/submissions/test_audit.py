"""Audit samples: a reproducible draw of holders with entries in a period; proof requested for
their entries without proof; a second draw asks nothing twice."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import OutboxMessage, User
from submissions.enums import EntryState
from submissions.models import Audit, Entry
from submissions.review import audit_population, draw_audit_sample, draw_holders
from submissions.services import attach_proof
from tests.factories import CertificationFactory, EntryFactory, UserFactory

D = Decimal
TODAY = date(2025, 11, 1)
QUARTER = D("25")
pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(db):
    return UserFactory(is_staff=True)


@pytest.fixture
def twenty_holders(db) -> list[User]:
    holders = []
    for n in range(20):
        holder = CertificationFactory().holder
        EntryFactory(holder=holder, activity_date=date(2025, 3, 1 + n), title=f"Course {n}")
        holders.append(holder)
    return holders


def draw(reviewer, seed="2025-Q1", percent=QUARTER) -> Audit:
    return draw_audit_sample(period_start=date(2025, 1, 1), period_end=date(2025, 6, 30),
                             percent=percent, seed=seed, by=reviewer, today=TODAY)


def test_the_same_seed_and_share_draw_the_same_holders():
    population = list(range(1, 101))

    first = draw_holders(population, percent=D("10"), seed="autumn")

    assert first == draw_holders(population, percent=D("10"), seed="autumn")
    assert first != draw_holders(population, percent=D("10"), seed="spring")
    assert len(first) == 10
    assert set(first) <= set(draw_holders(population, percent=D("20"), seed="autumn"))
    assert len(draw_holders(population[:7], percent=D("10"), seed="autumn")) == 1


def test_population_is_holders_with_counting_or_waiting_entries_in_the_period(twenty_holders):
    outside = CertificationFactory().holder
    EntryFactory(holder=outside, activity_date=date(2024, 12, 31))
    withdrawn = CertificationFactory().holder
    EntryFactory(holder=withdrawn, state=EntryState.WITHDRAWN)

    population = audit_population(period_start=date(2025, 1, 1), period_end=date(2025, 6, 30))

    assert population == sorted(h.pk for h in twenty_holders)


def test_a_draw_requests_proof_and_names_who_was_drawn(twenty_holders, reviewer):
    audit = draw(reviewer)

    drawn = set(audit.holders.values_list("pk", flat=True))
    asked = Entry.objects.filter(state=EntryState.PROOF_REQUESTED)
    assert (audit.population, len(drawn), audit.requests) == (20, 5, 5)
    assert set(asked.values_list("holder_id", flat=True)) == drawn
    assert set(asked.values_list("proof_due_on", flat=True)) == {date(2025, 12, 1)}
    assert OutboxMessage.objects.filter(kind="audit_proof_requested").count() == 5


def test_the_same_draw_again_asks_nothing_twice(twenty_holders, reviewer):
    first = draw(reviewer)

    again = draw(reviewer)

    assert set(again.holders.all()) == set(first.holders.all())
    assert again.requests == 0
    assert OutboxMessage.objects.count() == 5


def test_entries_with_proof_are_not_asked_for_it(twenty_holders, reviewer):
    for holder in twenty_holders:
        entry = holder.entries.get()
        attach_proof(entry=entry, by=holder, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4"))

    audit = draw(reviewer, percent=D("100"))

    assert (audit.holders.count(), audit.requests, OutboxMessage.objects.count()) == (20, 0, 0)


def test_admin_draws_a_sample_and_shows_its_summary(admin_client, twenty_holders):
    client = admin_client

    response = client.post(reverse("admin:submissions_audit_add"), {
        "period_start": "2025-01-01", "period_end": "2025-06-30", "percent": "10",
        "seed": "2025-H1"}, follow=True)

    audit = Audit.objects.get()
    assert "2 holders of 20 drawn; 2 proof requests sent." in response.content.decode()
    page = client.get(reverse("admin:submissions_audit_change", args=[audit.pk]))
    for holder in audit.holders.all():
        assert holder.full_name in page.content.decode()


def test_a_draw_with_a_deadline_past_90_days_asks_no_one(twenty_holders, reviewer):
    with pytest.raises(ValidationError, match="at most 90 days ahead"):
        draw_audit_sample(period_start=date(2025, 1, 1), period_end=date(2025, 6, 30),
                          percent=D("100"), seed="x", by=reviewer, today=TODAY,
                          due_on=TODAY + timedelta(days=91))

    assert (Audit.objects.count(), OutboxMessage.objects.count()) == (0, 0)
    assert not Entry.objects.filter(state=EntryState.PROOF_REQUESTED).exists()


def test_admin_refuses_an_audit_deadline_of_9999_12_31(admin_client, twenty_holders):
    response = admin_client.post(reverse("admin:submissions_audit_add"), {
        "period_start": "2025-01-01", "period_end": "2025-06-30", "percent": "100",
        "seed": "x", "due_on": "9999-12-31"})

    assert response.status_code == 200
    assert "Give the holder a deadline at most 90 days ahead" in response.content.decode()
    assert (Audit.objects.count(), OutboxMessage.objects.count()) == (0, 0)


def test_admin_refuses_a_nonsense_share_and_period(admin_client, twenty_holders):
    client = admin_client

    response = client.post(reverse("admin:submissions_audit_add"), {
        "period_start": "2025-06-30", "period_end": "2025-01-01", "percent": "150",
        "seed": "x"})

    assert response.status_code == 200
    assert "The period ends after it starts." in response.content.decode()
    assert Audit.objects.count() == 0

"""Audit samples: a reproducible draw of holders with entries in a period; proof requested for
their entries without proof; a second draw asks nothing twice."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import OutboxMessage, User
from submissions.enums import DenialKind, EntryState
from submissions.models import Audit, Denial, Entry
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


SETTINGS = {"period_start": "2025-01-01", "period_end": "2025-06-30", "percent": "10",
            "seed": "2025-H1"}


def preview(client, data=SETTINGS):
    response = client.post(reverse("admin:submissions_audit_add"), {**data, "_preview": "1"})
    assert response.status_code == 200
    return response


def confirm(client, previewed, data=SETTINGS):
    form = previewed.context["form"]
    return client.post(reverse("admin:submissions_audit_add"), {
        **data, "draw_key": form["draw_key"].value(),
        "fingerprint": form["fingerprint"].value(), "_confirm": "1"}, follow=True)


def test_admin_preview_shows_who_and_which_entries_and_writes_nothing(admin_client,
                                                                       twenty_holders):
    response = preview(admin_client)

    shown = response.context["preview"]
    page = response.content.decode()
    assert (shown.population, len(shown.holders), len(shown.entries)) == (20, 2, 2)
    for drawn in shown.holders:
        assert drawn.holder.full_name in page
        assert drawn.entries[0].title in page
    assert "Preview: nothing has been asked yet" in page
    assert (Audit.objects.count(), OutboxMessage.objects.count()) == (0, 0)
    assert not Entry.objects.filter(state=EntryState.PROOF_REQUESTED).exists()


def test_admin_form_offers_a_seed_to_repeat_the_draw(admin_client):
    response = admin_client.get(reverse("admin:submissions_audit_add"))

    seed = response.context["form"].initial["seed"]
    assert seed and seed in response.content.decode()
    assert "the same seed, period and share draw the same holders again" in (
        response.content.decode())


def test_admin_confirm_draws_the_previewed_sample_once_even_posted_twice(admin_client,
                                                                         twenty_holders):
    previewed = preview(admin_client)
    drawn = {d.holder.pk for d in previewed.context["preview"].holders}

    first = confirm(admin_client, previewed)
    again = confirm(admin_client, previewed)

    audit = Audit.objects.get()
    assert set(audit.holders.values_list("pk", flat=True)) == drawn
    assert "2 holders of 20 drawn; 2 proof requests sent." in first.content.decode()
    assert "This sample was drawn already" in again.content.decode()
    assert OutboxMessage.objects.filter(kind="audit_proof_requested").count() == 2
    assert audit.entries.count() == 2


def test_admin_refuses_to_confirm_a_sample_other_than_the_one_previewed(admin_client,
                                                                        twenty_holders):
    previewed = preview(admin_client)
    form = previewed.context["form"]

    response = admin_client.post(reverse("admin:submissions_audit_add"), {
        **SETTINGS, "percent": "50", "draw_key": form["draw_key"].value(),
        "fingerprint": form["fingerprint"].value(), "_confirm": "1"})

    assert response.status_code == 200
    assert "Nothing was drawn: the sample below is not the one you previewed" in (
        response.content.decode())
    assert Audit.objects.count() == 0


@pytest.mark.parametrize("hidden", [{"draw_key": "not-a-uuid"}, {"fingerprint": "x" * 500},
                                    {"draw_key": "", "fingerprint": ""}])
def test_admin_confirm_with_tampered_hidden_fields_draws_nothing(admin_client, twenty_holders,
                                                                  hidden):
    response = admin_client.post(reverse("admin:submissions_audit_add"),
                                 {**SETTINGS, **hidden, "_confirm": "1"})

    assert response.status_code == 200
    assert Audit.objects.count() == 0


def test_an_approved_entry_is_asked_and_the_preview_says_the_year_falls(admin_client):
    holder = CertificationFactory(holder__full_name="Hanna Met").holder
    approved = EntryFactory(holder=holder, activity_date=date(2025, 3, 1), hours=D("20"),
                            claimed_credits=D("20.00"), state=EntryState.APPROVED,
                            title="Approved course")
    adjusted = EntryFactory(holder=holder, activity_date=date(2025, 3, 2),
                            claimed_credits=D("3.00"), approved_credits=D("2.00"),
                            state=EntryState.APPROVED, title="Adjusted course")
    Denial.objects.create(holder=holder, kind=DenialKind.CREDITS_ADJUSTED, entry=adjusted,
                          denied_on=date(2025, 4, 1), reason="Two hours of it.")

    response = preview(admin_client, {**SETTINGS, "percent": "100"})

    shown = response.context["preview"]
    page = response.content.decode()
    assert [e.pk for e in shown.entries] == [approved.pk]
    assert "1 approved entry would stop counting until its proof is accepted." in page
    (effect,) = shown.holders[0].years
    assert (effect.counted_before, effect.counted_after, effect.falls) == (
        D("22.00"), D("2.00"), True)
    assert "met → at risk" in page

    confirm(admin_client, response, {**SETTINGS, "percent": "100"})

    approved.refresh_from_db()
    adjusted.refresh_from_db()
    assert (approved.state, adjusted.state) == (EntryState.PROOF_REQUESTED,
                                                EntryState.APPROVED)


def test_sample_page_lists_the_entries_asked_with_their_state(admin_client, twenty_holders):
    audit = draw(admin_client_user(), percent=D("100"))
    entry = audit.entries.order_by("pk").first()
    attach_proof(entry=entry, by=entry.holder,
                 upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4"))

    page = admin_client.get(reverse("admin:submissions_audit_change", args=[audit.pk]))

    text = page.content.decode()
    assert "Entries asked for proof (20)" in text
    assert all(e.title in text for e in audit.entries.all())
    assert "(proof uploaded, waiting for a decision)" in text
    assert "(due on 1 December 2025)" in text


def admin_client_user():
    return User.objects.get(is_superuser=True)


def test_sample_page_and_preview_queries_do_not_grow_with_the_sample(
        admin_client, twenty_holders, django_assert_max_num_queries):
    small = draw(admin_client_user(), seed="small", percent=D("5"))
    large = draw(admin_client_user(), seed="large", percent=D("100"))
    with django_assert_max_num_queries(25) as few:
        admin_client.get(reverse("admin:submissions_audit_change", args=[small.pk]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(reverse("admin:submissions_audit_change", args=[large.pk]))
    with django_assert_max_num_queries(40) as few:
        preview(admin_client, {**SETTINGS, "percent": "5"})
    with django_assert_max_num_queries(len(few.captured_queries)):
        preview(admin_client, {**SETTINGS, "percent": "100"})


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

"""The entries list in the admin reads like a person wrote it: an empty list says what that
means in words, and the proof column names what there is, leaving entries that need no proof
blank."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from submissions.enums import EntryState
from submissions.services import attach_proof
from tests.factories import CertificationFactory, EntryFactory

pytestmark = pytest.mark.django_db
QUEUE = reverse("admin:submissions_entry_changelist")


def text_of(response) -> str:
    return " ".join(response.content.decode().split())


def proof_cells(response) -> dict[str, str]:
    """Each listed entry's title and what its proof column shows."""
    changelist = response.context["cl"]
    return {entry.title: changelist.model_admin.proof(entry)
            for entry in changelist.result_list}


def test_empty_queue_says_nothing_waits_in_words(admin_client):
    EntryFactory(state=EntryState.APPROVED)

    page = text_of(admin_client.get(QUEUE))

    assert "Nothing waits for a decision: the queue is clear." in page
    assert '<a href="?decision=all">See all entries</a>' in page
    assert "0 results" not in page
    assert "0 entries" not in page


def test_empty_list_of_held_years_says_so(admin_client):
    page = text_of(admin_client.get(QUEUE, {"decision": "held"}))

    assert "No entry of a year held for decisions waits for one." in page
    assert "0 entries" not in page


def test_search_that_matches_nothing_offers_to_clear_it(admin_client):
    EntryFactory(state=EntryState.PENDING_APPROVAL, title="Threat modelling")

    page = text_of(admin_client.get(QUEUE, {"decision": "all", "q": "kubernetes"}))

    assert "No entry matches “kubernetes” here." in page
    assert '<a href="?decision=all">Clear the search and filters</a>' in page
    assert "0 results" not in page


def test_queue_with_entries_counts_them_as_before(admin_client):
    EntryFactory(state=EntryState.PENDING_APPROVAL)

    page = text_of(admin_client.get(QUEUE))

    assert "1 entry" in page
    assert "Nothing waits" not in page


def test_proof_column_names_proof_and_leaves_entries_needing_none_blank(admin_client):
    holder = CertificationFactory().holder
    EntryFactory(holder=holder, title="Approved, no proof", state=EntryState.APPROVED)
    EntryFactory(holder=holder, title="Asked, none yet", state=EntryState.PROOF_REQUESTED)
    sent = EntryFactory(holder=holder, title="With proof", state=EntryState.PENDING_APPROVAL)
    attach_proof(entry=sent, by=holder, upload=SimpleUploadedFile("a.pdf", b"%PDF-1.4 a"))

    response = admin_client.get(QUEUE, {"decision": "all"})

    assert proof_cells(response) == {"Approved, no proof": "", "Asked, none yet": "requested",
                                     "With proof": "attached"}
    assert "icon-no.svg" not in response.content.decode()

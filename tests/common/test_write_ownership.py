"""The holder's writes (edit, withdraw, proof upload, filing an appeal) find their object with
`own_for_write_or_404`: another holder's is a 404, staff and the owner of something that can no
longer change are sent back to its page, saying why, and nothing is written."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.roles import REVIEWER
from appeals.models import Appeal
from submissions.enums import DenialKind, EntryState
from submissions.models import Entry, ProofFile
from submissions.services import record_denial
from tests.factories import EntryFactory, UserFactory
from tests.staff import make_staff, sign_in

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Each write: the URL name that makes it, the page of its object, what a holder posts.
WRITES = {
    "edit": ("submissions:entry_edit", "submissions:entry_detail",
             lambda: {"title": "Not mine", "confirmed": "on"}),
    "withdraw": ("submissions:entry_withdraw", "submissions:entry_detail",
                 lambda: {"reason": "Not mine"}),
    "proof": ("submissions:proof_upload", "submissions:entry_detail",
              lambda: {"proof": SimpleUploadedFile("p.pdf", PDF)}),
    "appeal": ("appeals:denial_detail", "appeals:denial_detail",
               lambda: {"rationale": "It was relevant."}),
}


def denial_of(holder, *, days_ago: int):
    entry = EntryFactory(holder=holder, state=EntryState.REJECTED)
    return record_denial(holder=holder, kind=DenialKind.ENTRY_REJECTED, entry=entry,
                         denied_on=timezone.localdate() - timedelta(days=days_ago),
                         reason="Not relevant")


@pytest.fixture
def objects(practitioner):
    """Per write: the holder's object that takes it, and one that no longer does (a decided
    entry; a decision whose appeal window closed on day 90)."""
    holder = practitioner.holder
    open_entry = EntryFactory(holder=holder, title="Open course")
    decided = EntryFactory(holder=holder, state=EntryState.APPROVED, title="Decided course")
    return {"edit": (open_entry, decided), "withdraw": (open_entry, decided),
            "proof": (open_entry, decided),
            "appeal": (denial_of(holder, days_ago=1), denial_of(holder, days_ago=91))}


def written() -> tuple[object, ...]:
    return (sorted(Entry.objects.values_list("title", "state")), ProofFile.objects.count(),
            Appeal.objects.count())


def post(client, write: str, obj):
    name, _page, data = WRITES[write]
    return client.post(reverse(name, args=[obj.pk]), data())


def page(write: str, obj) -> str:
    return reverse(WRITES[write][1], args=[obj.pk])


def said(response) -> list[str]:
    return [message.message for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("write", WRITES)
def test_write_another_holders_object_is_404_and_writes_nothing(client, objects, write):
    before = written()
    client.force_login(UserFactory())

    response = post(client, write, objects[write][0])

    assert response.status_code == 404
    assert written() == before


@pytest.mark.parametrize("write", WRITES)
def test_write_by_staff_is_refused_on_the_objects_page(client, objects, write):
    before = written()
    sign_in(client, make_staff(REVIEWER))
    obj = objects[write][0]

    response = post(client, write, obj)

    assert (response.status_code, response["Location"]) == (302, page(write, obj))
    assert said(response) == ["Only the holder can change this; staff decide on it in the admin."]
    assert written() == before


@pytest.mark.parametrize(("write", "reason"), [
    ("edit", "This entry can no longer be changed."),
    ("withdraw", "This entry can no longer be withdrawn: it is approved."),
    ("proof", "Proof can no longer be added to this entry."),
    ("appeal", "This decision can no longer be appealed here."),
])
def test_write_the_owner_cannot_make_now_is_refused_with_its_reason(client, objects, write,
                                                                     reason):
    before = written()
    obj = objects[write][1]
    client.force_login(obj.holder)

    response = post(client, write, obj)

    assert (response.status_code, response["Location"]) == (302, page(write, obj))
    assert said(response) == [reason]
    assert written() == before

"""Each holder's stored count of entries (`HolderEntries`), which the entry list shows instead of
counting: kept by the database with every entry written, however it is written."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.urls import reverse

from accounts.models import User
from submissions.models import Entry, HolderEntries
from tests.factories import EntryFactory, UserFactory, activity

pytestmark = pytest.mark.django_db


def stored() -> dict[int, int]:
    return dict(HolderEntries.objects.values_list("holder_id", "entries"))


def counted() -> dict[int, int]:
    counts: dict[int, int] = {}
    for holder_id in Entry.objects.values_list("holder_id", flat=True):
        counts[holder_id] = counts.get(holder_id, 0) + 1
    return counts


def test_holder_entries_counts_each_entry_written_one_by_one():
    holder, other = UserFactory(), UserFactory()
    for _ in range(3):
        EntryFactory(holder=holder)
    EntryFactory(holder=other)

    assert stored() == {holder.pk: 3, other.pk: 1}


def test_holder_entries_counts_a_bulk_insert_per_holder():
    holder, other = UserFactory(), UserFactory()
    EntryFactory(holder=holder)
    Entry.objects.bulk_create([
        Entry(holder=owner, activity_type=activity("other-course"), activity_date=date(2025, 3, 1),
              title=f"Course {number}", hours=1, claimed_credits=1, state="submitted",
              reported_on=date(2025, 3, 1))
        for number, owner in enumerate([holder, other, other, holder, other])])

    assert stored() == {holder.pk: 3, other.pk: 3} == counted()


def test_holder_entries_follows_deleted_entries():
    holder = UserFactory()
    _kept, gone, also_gone = (EntryFactory(holder=holder) for _ in range(3))
    Entry.objects.filter(pk__in=[gone.pk, also_gone.pk]).delete()

    assert stored() == {holder.pk: 1} == counted()


def test_holder_entries_follows_an_entry_given_to_another_holder():
    holder, other = UserFactory(), UserFactory()
    entry = EntryFactory(holder=holder)
    EntryFactory(holder=holder)

    Entry.objects.filter(pk=entry.pk).update(holder=other)

    assert stored() == {holder.pk: 1, other.pk: 1} == counted()


def test_holder_entries_is_untouched_by_other_changes_of_an_entry():
    holder = UserFactory()
    entry = EntryFactory(holder=holder)

    entry.title = "Renamed"
    entry.save()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE submissions_entry SET state = 'withdrawn'")

    assert stored() == {holder.pk: 1}


def test_entry_list_shows_the_stored_count_on_every_page(client):
    holder = UserFactory()
    for _ in range(26):
        EntryFactory(holder=holder)
    client.force_login(holder)

    pages = [client.get(reverse("submissions:entry_list"), {"page": page}).content.decode()
             for page in (1, 2)]

    for number, html in enumerate(pages, start=1):
        assert "<caption>26 activities</caption>" in html
        assert f"Page {number} of 2" in html


def test_entry_list_of_a_holder_without_entries_has_no_stored_row(client):
    holder = UserFactory()
    client.force_login(holder)

    html = client.get(reverse("submissions:entry_list")).content.decode()

    assert stored() == {}
    assert "Nothing logged yet" in html


def test_recount_standings_checks_and_rebuilds_the_stored_counts(db):
    call_command("load_demo_data", "--date", "2026-11-29", stdout=StringIO())
    hanna = User.objects.get(email="hanna@example.com")
    before = stored()
    # What the triggers do not see: a count changed by hand, as a load with triggers off or a
    # TRUNCATE would leave it.
    HolderEntries.objects.filter(holder=hanna).update(entries=F("entries") + 5)
    out = StringIO()

    with pytest.raises(CommandError, match="1 difference"):
        call_command("recount_standings", "--check", stdout=out)
    call_command("recount_standings", stdout=StringIO())

    assert out.getvalue() == (f"hanna@example.com: entries stored {before[hanna.pk] + 5}, "
                              f"counted {before[hanna.pk]}\n")
    assert stored() == before == counted()

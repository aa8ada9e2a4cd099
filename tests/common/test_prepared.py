"""A query compiled once answers as the ORM answers, for each new value: the same rows, the
same instances with their related objects, and no stale value from an earlier run."""

from datetime import date, timedelta

import pytest
from django.db.models import Q

from certifications.models import Certification
from common.prepared import Prepared
from submissions.models import CREDITS, Entry
from tests.factories import CertificationFactory, EntryFactory, UserFactory, title

pytestmark = pytest.mark.django_db

ENTRIES_SINCE = Prepared(
    lambda holder_id, since: Entry.objects.filter(Q(activity_date__gte=since),
                                                  holder_id=holder_id)
    .annotate(worth=CREDITS).order_by("activity_date", "pk")
    .values_list("pk", "activity_date", "worth"),
    holder_id=int, since=date)

CERTIFICATIONS = Prepared(
    lambda holder_id: Certification.objects.filter(holder_id=holder_id)
    .select_related("title__level").order_by("awarded_on", "pk"),
    holder_id=int)


def orm_entries_since(holder_id: int, since: date) -> list[tuple]:
    return list(Entry.objects.filter(holder_id=holder_id, activity_date__gte=since)
                .annotate(worth=CREDITS).order_by("activity_date", "pk")
                .values_list("pk", "activity_date", "worth"))


def test_rows_are_the_orms_rows_for_every_holder_and_day():
    first, second = UserFactory(), UserFactory()
    for holder, days in ((first, (1, 10, 20)), (second, (5, 15))):
        for day in days:
            EntryFactory(holder=holder, activity_date=date(2025, 3, day))

    for holder in (first, second):
        for since in (date(2025, 3, 1), date(2025, 3, 12), date(2025, 4, 1)):
            assert ENTRIES_SINCE.rows(holder_id=holder.pk, since=since) == orm_entries_since(
                holder.pk, since)
    assert len(ENTRIES_SINCE.rows(holder_id=first.pk, since=date(2025, 3, 2))) == 2


def test_objects_come_with_their_related_objects_as_select_related_makes_them(
        django_assert_num_queries):
    holder = UserFactory()
    CertificationFactory(holder=holder, title=title("ISP"), awarded_on=date(2024, 1, 1))
    CertificationFactory(holder=holder, title=title("ISE"),
                         awarded_on=date(2024, 1, 1) + timedelta(days=40))
    CertificationFactory(holder=UserFactory())  # another holder's: not listed

    with django_assert_num_queries(1):
        made = CERTIFICATIONS.objects(holder_id=holder.pk)
        names = [(c.title.name, c.title.level.name, c.awarded_on) for c in made]

    expected = list(Certification.objects.filter(holder=holder).order_by("awarded_on", "pk"))
    assert made == expected
    assert names == [(c.title.name, c.title.level.name, c.awarded_on) for c in expected]


def test_a_value_the_query_does_not_take_unchanged_is_refused_when_compiling():
    day_after = Prepared(
        lambda since: Entry.objects.filter(activity_date__gte=since + timedelta(days=1)),
        since=date)

    with pytest.raises(ValueError, match="since"):
        day_after.objects(since=date(2025, 1, 1))


def test_values_are_asked_for_by_name():
    with pytest.raises(TypeError, match="holder_id"):
        CERTIFICATIONS.objects(holder=1)

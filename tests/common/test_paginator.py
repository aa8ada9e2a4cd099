"""The admin's paginator for big tables: an exact count up to a bound, PostgreSQL's estimate
past it."""

import pytest
from django.db import connection

from activities.models import ActivityType
from common.admin import EstimatedCountPaginator

pytestmark = pytest.mark.django_db


class SmallBound(EstimatedCountPaginator):
    exact_up_to = 5


def analyze(model: type) -> float:
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {model._meta.db_table}")
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s",
                       [model._meta.db_table])
        return cursor.fetchone()[0]


def test_paginator_counts_exactly_up_to_its_bound():
    paginator = EstimatedCountPaginator(ActivityType.objects.order_by("pk"), 10)

    assert paginator.count == ActivityType.objects.count() == 15
    assert paginator.estimated is False
    assert paginator.num_pages == 2


def test_paginator_counts_a_selective_filter_exactly():
    paginator = SmallBound(ActivityType.objects.filter(needs_approval=True).order_by("pk"), 2)

    assert paginator.count == ActivityType.objects.filter(needs_approval=True).count() == 2
    assert paginator.estimated is False


def test_paginator_estimates_an_unfiltered_list_from_the_table_statistics():
    reltuples = analyze(ActivityType)
    paginator = SmallBound(ActivityType.objects.order_by("pk"), 2)

    assert paginator.count == int(reltuples) == 15
    assert paginator.estimated is True


def test_paginator_estimates_a_filtered_list_from_the_query_plan():
    analyze(ActivityType)
    paginator = SmallBound(ActivityType.objects.filter(active=True).order_by("pk"), 2)

    # The planner's guess, never below what was counted on the way (the bound plus one).
    assert paginator.count >= SmallBound.exact_up_to + 1
    assert paginator.estimated is True


def test_paginator_counts_lists_exactly_on_other_inputs():
    paginator = SmallBound(list(range(12)), 5)

    assert paginator.count == 12
    assert paginator.estimated is False

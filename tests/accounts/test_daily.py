"""A daily job sent several times a day (two beats, a redelivery) does its work once; a run
that crashed is resumed by the next."""

import threading
from datetime import date

import pytest
from django.db import connection

from accounts.daily import once_a_day
from accounts.models import DailyRun
from common.jobs import ALREADY_DONE

DAY = date(2026, 3, 2)


@pytest.mark.django_db
def test_the_work_runs_once_a_day_and_again_the_next_day():
    calls = []

    def work() -> dict[str, int]:
        calls.append(1)
        return {"rows": len(calls)}

    assert once_a_day("a_job", DAY, work) == {"rows": 1}
    assert once_a_day("a_job", DAY, work) == ALREADY_DONE
    assert once_a_day("another_job", DAY, work) == {"rows": 2}
    assert once_a_day("a_job", date(2026, 3, 3), work) == {"rows": 3}
    assert len(calls) == 3
    assert sorted(DailyRun.objects.values_list("job", "day", "result")) == [
        ("a_job", DAY, {"rows": 1}), ("a_job", date(2026, 3, 3), {"rows": 3}),
        ("another_job", DAY, {"rows": 2})]


@pytest.mark.django_db
def test_a_run_that_crashed_records_nothing_and_the_next_one_does_the_work():
    def crash() -> dict[str, int]:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        once_a_day("a_job", DAY, crash)
    assert not DailyRun.objects.exists()
    assert once_a_day("a_job", DAY, lambda: {"rows": 4}) == {"rows": 4}
    assert DailyRun.objects.get().result == {"rows": 4}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_once_do_the_work_once():
    """Two runners (two beats' tasks on two workers) start together: the second waits for the
    first's lock, then finds the day done."""
    started, release = threading.Event(), threading.Event()
    calls, results = [], []

    def slow_work() -> dict[str, int]:
        calls.append(1)
        started.set()
        release.wait(10)
        return {"rows": 1}

    def runner() -> None:
        try:
            results.append(once_a_day("a_job", DAY, slow_work))
        finally:
            connection.close()

    first = threading.Thread(target=runner)
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=runner)
    second.start()
    second.join(0.5)
    assert second.is_alive()  # waiting for the lock, not doing the work
    release.set()
    first.join(10)
    second.join(10)
    assert len(calls) == 1
    assert results == [{"rows": 1}, ALREADY_DONE]
    assert DailyRun.objects.count() == 1

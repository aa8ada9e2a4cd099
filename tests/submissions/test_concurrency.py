"""Two entries logged at the same moment can never push a holder past a cap, and one form
posted many times at once logs one entry."""

import threading
import time
import uuid
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TypeVar

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import User
from certifications.models import CertificationYear
from submissions.enums import COUNTING_STATES
from submissions.models import Entry, YearCredit
from submissions.selectors.holder import certification_standings
from submissions.services import EntryDetails, log_entry
from submissions.standings.check import check_standings
from submissions.standings.recount import recount_holders
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity

THREADS = 20
T = TypeVar("T")


def all_at_once(attempt: Callable[[], T]) -> list[T]:
    """Run `attempt` in THREADS threads released at the same moment, each on its own database
    connection; what each returned, in the order they finished."""
    start = threading.Barrier(THREADS)
    results: list[T] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            start.wait()
            result = attempt()
        finally:
            connections.close_all()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_simultaneous_webinar_hours_fill_the_cap_exactly_once():
    assert connection.vendor == "postgresql"
    holder = UserFactory()
    CertificationFactory(holder=holder, awarded_on=date(2025, 1, 1))
    webinar = activity("attend-webinar")
    for day in range(1, 10):
        EntryFactory(holder=holder, activity_type=webinar, activity_date=date(2025, 2, day),
                     hours=None, length_minutes=60, attended_minutes=60)
    def attempt() -> str:
        try:
            log_entry(holder=holder, today=date(2025, 6, 1), details=EntryDetails.from_data({
                "activity_type": webinar, "activity_date": date(2025, 3, 1),
                "title": "Webinar", "length_minutes": 60, "attended_minutes": 60,
                "relevance_confirmed": True}))
        except ValidationError:
            return "refused"
        return "logged"

    outcomes = all_at_once(attempt)

    assert sorted(outcomes) == ["logged"] + ["refused"] * (THREADS - 1)
    assert Entry.objects.filter(holder=holder, state__in=COUNTING_STATES).count() == 10
    [standing] = certification_standings(holder=holder, today=date(2025, 6, 1))
    assert standing.current.counted == Decimal("10")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_identical_log_posts_at_once_log_one_entry():
    """A double click or a retry sends the same form again: one entry, every answer a redirect
    to it."""
    holder = UserFactory()
    CertificationFactory(holder=holder, awarded_on=date(2025, 1, 1))
    form = {"activity_type": activity("other-course").pk, "activity_date": "2025-05-20",
            "title": "Incident response course", "hours": "3", "relevance_confirmed": "on",
            "confirmed": "on", "form_token": str(uuid.uuid4())}
    def post() -> tuple[int, str]:
        client = Client()
        client.force_login(holder)
        response = client.post(reverse("submissions:entry_create"), form)
        return response.status_code, response.get("Location", "")

    # The clock is the process's: stopped once here, every thread sees the same day.
    with time_machine.travel("2025-06-01 10:00 +02:00", tick=False):
        answers = all_at_once(post)

    entry = Entry.objects.get(holder=holder)
    assert answers == [(302, reverse("submissions:entry_detail", args=[entry.pk]))] * THREADS
    assert CertificationYear.objects.get(certification__holder=holder).counted_credits == 3


def wait_until_blocked(pid: int, *, seconds: float = 20) -> None:
    """Wait until the backend `pid` waits for a lock another transaction holds."""
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone() == ("Lock",):
                return
            time.sleep(0.02)
    raise AssertionError(f"backend {pid} never waited for a lock")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_background_recount_waits_for_an_entry_being_logged():
    """A recount of a holder (a rebuild, a batch) started while an entry of theirs is being
    logged waits for the holder's lock: it counts after the new entry, never from what it read
    before and over what the logging wrote."""
    assert connection.vendor == "postgresql"
    holder = UserFactory()
    CertificationFactory(holder=holder, awarded_on=date(2025, 1, 1))
    webinar = activity("attend-webinar")
    later = EntryFactory(holder=holder, activity_type=webinar, activity_date=date(2025, 3, 10),
                         hours=None, length_minutes=360, attended_minutes=360,
                         claimed_credits=Decimal("6"))
    started = threading.Event()
    recount_pid: list[int] = []
    failures: list[BaseException] = []

    def recount() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                recount_pid.append(cursor.fetchone()[0])
            started.set()
            with transaction.atomic():
                recount_holders([holder.pk])
        except BaseException as error:  # reported by the test thread
            failures.append(error)
        finally:
            started.set()
            connections.close_all()

    # The logging's transaction is open, its entry written and counted, when the recount starts.
    background = threading.Thread(target=recount)
    with transaction.atomic():
        earlier = log_entry(holder=holder, today=date(2025, 6, 1), details=EntryDetails.from_data({
            "activity_type": webinar, "activity_date": date(2025, 3, 1), "title": "Webinar",
            "length_minutes": 360, "attended_minutes": 360, "relevance_confirmed": True}))
        background.start()
        assert started.wait(timeout=20)
        wait_until_blocked(recount_pid[0])
    background.join(timeout=60)

    assert not background.is_alive()
    assert failures == []
    assert YearCredit.objects.get(entry=earlier).counted == Decimal("6")
    assert YearCredit.objects.get(entry=later).counted == Decimal("4")
    assert CertificationYear.objects.get(certification__holder=holder).counted_credits == 10
    assert [str(d) for d in check_standings(User.objects.filter(pk=holder.pk))] == []

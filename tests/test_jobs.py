"""The scheduled jobs on PostgreSQL: two runs at once, a run killed after its first batch, and
the reminder job on a real Redis-backed worker."""

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction

from accounts.models import OutboxMessage
from certifications.models import Certification, CertificationYear
from certifications.services import ensure_certification_years
from submissions.deadlines import expire_proof_requests
from submissions.enums import EntryState
from submissions.models import Denial, Entry, ProofFile, Reminder
from submissions.reminders import send_cpe_reminders
from submissions.tasks import send_cpe_reminders_task
from tests.factories import CertificationFactory, EntryFactory, UserFactory, title
from tests.test_celery import redis_worker  # noqa: F401 (a fixture)
from yearend.closing import close_certification_years
from yearend.retention import purge_expired_proof

ROOT = Path(__file__).resolve().parent.parent
# ISP certifications awarded on 1 March 2024: year 1 may be reported until 30 March 2025.
AWARDED = date(2024, 3, 1)
CLOSING_DAY = date(2025, 3, 31)


def population(holders: int = 8) -> list[Certification]:
    """Holders whose year 1 closes on CLOSING_DAY in every way: met, short, held, exempt, and
    a holder with two certifications."""
    certifications = []
    for n in range(holders):
        holder = UserFactory(email=f"job-holder-{n}@example.com")
        certification = CertificationFactory(holder=holder, awarded_on=AWARDED,
                                             title=title("ISF" if n % 4 == 3 else "ISP"))
        credits, state = [("20", EntryState.SUBMITTED), ("4", EntryState.SUBMITTED),
                          ("20", EntryState.PENDING_APPROVAL), ("1", EntryState.SUBMITTED)][n % 4]
        EntryFactory(holder=holder, activity_date=date(2024, 6, 1), hours=D(credits),
                     claimed_credits=D(credits), state=state)
        certifications.append(certification)
        if n % 3 == 0:
            certifications.append(CertificationFactory(holder=holder, awarded_on=AWARDED,
                                                       title=title("DPE")))
    ensure_certification_years(today=CLOSING_DAY)
    return certifications


def checksum() -> str:
    """Certification states, years, denials and outbox, by what they say (not when)."""
    parts = [
        sorted(Certification.objects.values_list("pk", "status", "decertified_on")),
        sorted((pk, state, closed is not None) for pk, state, closed in
               CertificationYear.objects.values_list("pk", "state", "closed_at")),
        sorted(Denial.objects.values_list("holder_id", "kind", "certification_id", "entry_id",
                                          "denied_on", "reason")),
        sorted((recipient, kind, key, repr(context)) for recipient, kind, key, context in
               OutboxMessage.objects.values_list("recipient_id", "kind", "dedupe_key",
                                                 "context")),
        Certification.history.filter(history_type="~").count(),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def at_once(job, count: int = 2) -> list[object]:
    """Run `job` in `count` threads that start together; their results."""
    start, results, errors = threading.Barrier(count), [], []

    def run() -> None:
        try:
            start.wait()
            results.append(job())
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_closes_at_once_change_and_mail_each_certification_once():
    population()
    with transaction.atomic():
        expected = close_certification_years(today=CLOSING_DAY)
        expected_sum = checksum()
        transaction.set_rollback(True)

    runs = at_once(lambda: close_certification_years(today=CLOSING_DAY, batch_holders=2))

    assert sorted(run.decertified for run in runs) == [0, expected.decertified]
    assert sorted(run.messages for run in runs) == [0, expected.messages]
    assert checksum() == expected_sum
    # Met 2, decertified 5 (two ISP, three DPE), held 2, exempt 2: a mail for each closed.
    assert OutboxMessage.objects.count() == expected.messages == 7


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_reminder_runs_at_once_mail_each_holder_once():
    population()
    day = date(2025, 3, 1)  # 29 days before the deadline: the 30-day reminders

    runs = at_once(lambda: send_cpe_reminders(today=day, batch_holders=2))

    # Four ISP years short and three DPE years, of six holders.
    assert sorted(run.messages for run in runs) == [0, 6]
    assert Reminder.objects.count() == 7
    assert OutboxMessage.objects.filter(kind="cpe_reminder").count() == 6
    assert send_cpe_reminders(today=day).messages == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_proof_expiries_at_once_reject_each_entry_once():
    for n, holder in enumerate({c.holder for c in population(4)}):
        for _ in range(n + 1):
            EntryFactory(holder=holder, activity_date=date(2024, 7, 1),
                         state=EntryState.PROOF_REQUESTED, proof_due_on=date(2025, 2, 1))

    runs = at_once(lambda: expire_proof_requests(today=CLOSING_DAY, batch_holders=1))

    assert sorted(run.rejected for run in runs) == [0, 10]
    assert Denial.objects.count() == 10
    assert OutboxMessage.objects.filter(kind="entry_rejected").count() == 10
    assert Entry.history.filter(history_change_reason="Proof deadline missed").count() == 10


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_purges_at_once_delete_each_file_once():
    for certification in population(3):
        entry = EntryFactory(holder=certification.holder, activity_date=date(2024, 7, 1))
        ProofFile.objects.create(entry=entry, file=SimpleUploadedFile("p.pdf", b"%PDF-1.4 x"),
                                 original_name="p.pdf", content_type="application/pdf", size=10)

    runs = at_once(lambda: purge_expired_proof(today=date(2026, 4, 1), batch_files=1))

    assert sorted(run.files for run in runs) == [0, 4]
    assert not ProofFile.objects.exists()


def _lock_holder(holder_id: int) -> psycopg.Connection:
    """Hold a holder's row lock from another session, as a long decision would."""
    database = connection.settings_dict
    session = psycopg.connect(host=database["HOST"] or "127.0.0.1", port=database["PORT"] or 5432,
                              user=database["USER"], dbname=database["NAME"])
    session.execute("SELECT id FROM accounts_user WHERE id = %s FOR UPDATE", [holder_id])
    return session


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_close_killed_after_its_first_batch_ends_as_an_uninterrupted_one_when_run_again():
    certifications = population()
    with transaction.atomic():
        close_certification_years(today=CLOSING_DAY, batch_holders=2)
        uninterrupted = checksum()
        transaction.set_rollback(True)
    holders = sorted({certification.holder_id for certification in certifications})
    # The second batch (holders 3 and 4) waits for this lock: the first has committed by then.
    blocker = _lock_holder(holders[2])
    database = connection.settings_dict
    address = f"{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "cpe_portal.settings.test",
                   "PGAPPNAME": "close-killed",
                   "DATABASE_URL": f"postgres://{database['USER']}@{address}/{database['NAME']}"}
    process = subprocess.Popen(  # noqa: S603 - our own command, arguments fixed here
        [sys.executable, "manage.py", "close_certification_years", "--date",
         CLOSING_DAY.isoformat(), "--batch-holders", "2"],
        cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        first_batch = set(holders[:2])
        for _ in range(600):
            closed = set(CertificationYear.objects.exclude(state="open")
                         .values_list("certification__holder_id", flat=True))
            if closed >= first_batch or process.poll() is not None:
                break
            time.sleep(0.05)
        assert process.poll() is None, process.stdout.read().decode()
        assert closed == first_batch
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        blocker.rollback()
        blocker.close()
    with connection.cursor() as cursor:  # the killed run's session, still waiting: gone too
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE application_name = 'close-killed'")
    assert checksum() != uninterrupted

    rerun = close_certification_years(today=CLOSING_DAY, batch_holders=2)

    assert rerun.batches == 3  # the four batches less the one that committed before the kill
    assert checksum() == uninterrupted


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("redis_worker")
def test_the_periodic_reminder_task_delivers_its_mail_on_a_redis_worker():
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    holder = UserFactory(email="reminded@example.com")
    certification = CertificationFactory(holder=holder, awarded_on=AWARDED, title=title("ISP"))
    ensure_certification_years(today=CLOSING_DAY, certifications=[certification])
    mail.outbox.clear()

    result = send_cpe_reminders_task.apply_async(kwargs={"today": "2025-03-23"},
                                                 ignore_result=False)

    assert result.get(timeout=60) == {"year_reminders": 1, "proof_reminders": 0, "messages": 1}
    message = OutboxMessage.objects.get()
    for _ in range(300):  # delivered by a second task, sent once the job's batch committed
        message.refresh_from_db()
        if message.sent_at:
            break
        time.sleep(0.1)
    assert message.sent_at is not None
    assert [(sent.to, sent.subject) for sent in mail.outbox] == [
        (["reminded@example.com"],
         "Information Security Practitioner: CPE credits due by 30 March 2025")]
    assert "0.00 of 20.00 credits counted, 20.00 to go" in mail.outbox[0].body
    assert send_cpe_reminders_task.apply_async(
        kwargs={"today": "2025-03-23"}, ignore_result=False).get(timeout=60) == "already done"
    assert OutboxMessage.objects.count() == 1
    assert date(2025, 3, 23) + timedelta(days=7) == CertificationYear.objects.get(
        certification=certification, number=1).deadline

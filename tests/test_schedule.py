"""Beat's schedule lives in the database: seeded with the default jobs, never written over."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from cpe_portal.celery import app

pytestmark = pytest.mark.django_db

# name: task, minute, hour (every other crontab field "*"), all in Europe/Amsterdam.
DEFAULT_JOBS = {
    "open-certification-years": ("certifications.open_certification_years", "15", "0"),
    "expire-proof-requests": ("submissions.expire_proof_requests", "45", "0"),
    "close-certification-years": ("appeals.close_certification_years", "0", "1"),
    "purge-expired-proof": ("appeals.purge_expired_proof", "0", "3"),
    "send-cpe-reminders": ("submissions.send_cpe_reminders", "0", "6"),
    "deliver-unsent-mail": ("accounts.deliver_unsent_mail", "*/5", "*"),
    "run-pending-jobs": ("accounts.run_pending_jobs", "*/5", "*"),
}


def seed() -> str:
    out = StringIO()
    call_command("seed_schedule", stdout=out)
    return out.getvalue()


def jobs() -> dict[str, tuple[object, ...]]:
    return {
        task.name: (task.task, task.crontab.minute, task.crontab.hour, task.crontab.day_of_week,
                    task.crontab.day_of_month, task.crontab.month_of_year,
                    str(task.crontab.timezone), task.enabled, task.args, task.kwargs)
        for task in PeriodicTask.objects.select_related("crontab")
    }


def rows() -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Every column of every periodic task and crontab, to see that nothing was written."""
    return (list(PeriodicTask.objects.order_by("pk").values()),
            list(CrontabSchedule.objects.order_by("pk").values()))


def operator_moves_and_disables(name: str) -> PeriodicTask:
    """What an operator does in the admin: another time (a crontab of its own), disabled."""
    task = PeriodicTask.objects.get(name=name)
    task.crontab = CrontabSchedule.objects.create(minute="30", hour="2",
                                                  timezone="Europe/Amsterdam")
    task.enabled = False
    task.save()
    return task


@pytest.fixture
def empty_schedule():
    """The migration seeded the test database; start from a database without a schedule."""
    PeriodicTask.objects.all().delete()
    CrontabSchedule.objects.all().delete()


def test_seed_schedule_creates_every_default_job(empty_schedule):
    output = seed()

    assert jobs() == {
        name: (task, minute, hour, "*", "*", "*", "Europe/Amsterdam", True, "[]", "{}")
        for name, (task, minute, hour) in DEFAULT_JOBS.items()
    }
    assert "7 created" in output


def test_seed_schedule_again_changes_nothing(empty_schedule):
    seed()
    before = rows()

    output = seed()

    assert rows() == before
    assert "0 created" in output


def test_seed_schedule_adds_a_missing_job_only(empty_schedule):
    seed()
    PeriodicTask.objects.filter(name="send-cpe-reminders").delete()
    others = list(PeriodicTask.objects.order_by("pk").values())

    seed()

    assert list(PeriodicTask.objects.exclude(name="send-cpe-reminders")
                .order_by("pk").values()) == others
    assert jobs()["send-cpe-reminders"][:3] == ("submissions.send_cpe_reminders", "0", "6")


def test_the_migration_seeded_the_default_jobs():
    assert set(DEFAULT_JOBS) <= set(PeriodicTask.objects.values_list("name", flat=True))


def test_seed_schedule_leaves_a_job_an_operator_changed(empty_schedule):
    seed()
    operator_moves_and_disables("open-certification-years")
    before = rows()

    seed()

    assert rows() == before
    moved = jobs()["open-certification-years"]
    assert (moved[1], moved[2], moved[7]) == ("30", "2", False)


# Beat runs in autocommit and closes connections between reads, as a test transaction cannot.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_beat_starting_leaves_a_job_an_operator_changed(empty_schedule):
    seed()
    operator_moves_and_disables("open-certification-years")
    operator_moves_and_disables("deliver-unsent-mail")
    changed = [row for row in rows()[0] if row["name"] != "celery.backend_cleanup"]

    # What `celery beat` does when it starts: the database scheduler sets up its schedule.
    DatabaseScheduler(app=app)

    after = [row for row in rows()[0] if row["name"] != "celery.backend_cleanup"]
    assert after == changed
    assert jobs()["open-certification-years"][1:3] == ("30", "2")
    assert app.conf.beat_schedule == {}

"""Nothing a commit promises is lost: with Redis stopped, an administrator lowers a cap and adds a
Board meeting in the admin; both are saved and answered, and once Redis is back the sweeps do
what the changes promised (the recount, the appeal's mail), so the stored standings equal a
recount and the holder's dashboard shows the meeting."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date

from accounts.models import OutboxMessage, PendingJob
from accounts.roles import ADMINISTRATOR
from accounts.tasks import deliver_unsent_mail, run_pending_jobs_task
from appeals.enums import AppealState
from appeals.services import file_appeal
from certifications.models import CertificationYear
from cpe_portal.celery import app
from submissions.enums import DenialKind
from submissions.models import Denial
from tests.factories import CertificationFactory, EntryFactory, activity
from tests.staff import make_staff, sign_in
from tests.test_admin import form_data
from tests.test_broker_down import QUICK, celery_on, timed  # noqa: F401
from yearend.closing import close_certification_years


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_redis_down_a_cap_and_a_meeting_saved_in_the_admin_are_carried_out_once_it_is_back(
        celery_on, caplog):  # noqa: F811 (the fixture imported above)
    caplog.set_level(logging.WARNING, logger="accounts")
    today = timezone.localdate()
    # A holder whose first year ended short 36 days ago: the close decertifies the
    # certification, and the holder appeals while no Board meeting is planned.
    decertified = CertificationFactory(awarded_on=today - timedelta(days=400))
    close_certification_years(today=today)
    denial = Denial.objects.get(kind=DenialKind.DECERTIFIED, holder=decertified.holder)
    appeal = file_appeal(denial=denial, by=denial.holder, today=today,
                         rationale="My credits were lost when my employer changed systems.")
    # A holder in the first year, with 8 hours of mentoring that count in full today.
    certification = CertificationFactory(awarded_on=today - timedelta(days=100))
    EntryFactory(holder=certification.holder, activity_type=activity("mentor"),
                 activity_date=today - timedelta(days=10), hours=Decimal("8"),
                 claimed_credits=Decimal("8"))
    year = CertificationYear.objects.get(certification=certification)
    assert year.counted_credits == Decimal("8")
    administrator = sign_in(Client(), make_staff(ADMINISTRATOR))
    mentor = activity("mentor")
    cap_url = reverse("admin:activities_activitytype_change", args=[mentor.pk])
    cap_form = form_data(administrator.get(cap_url)) | {"annual_cap": "5"}
    meets_on = today + timedelta(days=30)
    celery_on.stop()

    lowered, lowering_took = timed(administrator.post, cap_url, cap_form)
    added, adding_took = timed(administrator.post, reverse("admin:appeals_boardmeeting_add"), {
        "meets_on": meets_on.isoformat(), "location": "Utrecht", "notes": "",
        "appeals-TOTAL_FORMS": "0", "appeals-INITIAL_FORMS": "0"})

    assert (lowered.status_code, lowered["Location"]) == (
        302, reverse("admin:activities_activitytype_changelist"))
    assert (added.status_code, added["Location"]) == (
        302, reverse("admin:appeals_boardmeeting_changelist"))
    assert max(lowering_took, adding_took) < QUICK
    mentor.refresh_from_db()
    appeal.refresh_from_db()
    assert mentor.annual_cap == Decimal("5")
    assert (appeal.state, appeal.meeting.meets_on) == (AppealState.SCHEDULED, meets_on)
    # The recount is promised, not done: the job waits for the sweep.
    job = PendingJob.objects.get()
    assert (job.task, job.kwargs, job.done_at) == (
        "submissions.recount_open_years", {"activity_type_id": mentor.pk, "level_id": None},
        None)
    assert "left for the sweep" in caplog.text
    with pytest.raises(CommandError, match="difference"):
        call_command("recount_standings", "--check")

    # Redis is back: the sweeps, on a real worker, do what was left; a second run does nothing.
    celery_on.start()
    sweep = {"kwargs": {"now": (timezone.now() + timedelta(minutes=5)).isoformat()},
             "ignore_result": False}
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10,
                      queues=[app.conf.task_default_queue]):
        done = [run_pending_jobs_task.apply_async(**sweep).get(timeout=60) for _ in range(2)]
        sent = [deliver_unsent_mail.apply_async(**sweep).get(timeout=60) for _ in range(2)]

    assert (done, sent[1]) == ([1, 0], 0)
    job.refresh_from_db()
    assert (job.attempts, job.done_at is not None, job.last_error) == (1, True, "")
    year.refresh_from_db()
    assert year.counted_credits == Decimal("5")
    call_command("recount_standings", "--check")
    scheduled = OutboxMessage.objects.get(kind="appeal_scheduled")
    assert (scheduled.to, scheduled.attempts, scheduled.sent_at is not None) == (
        denial.holder.email, 1, True)
    assert [m.subject for m in mail.outbox].count(scheduled.subject) == 1
    holder = Client()
    holder.force_login(denial.holder)
    dashboard = holder.get(reverse("home")).content.decode()
    assert (f"Your appeal is on the agenda of the Board meeting of "
            f"{format_date(meets_on, 'j F Y')}.") in dashboard
    assert "awaits a Board meeting date" not in dashboard

from celery import shared_task

from accounts.daily import once_a_day
from common.jobs import job_day

from .standings.recount import recount_open_years


@shared_task(name="submissions.recount_open_years")
def recount_open_years_task(*, activity_type_id: int | None = None,
                            level_id: int | None = None) -> int:
    """After a change of a cap or a requirement: recount the open years it affects, in batches.
    Safe to run again: a recount of what is already up to date changes nothing."""
    return recount_open_years(activity_type_id=activity_type_id, level_id=level_id)


@shared_task(name="submissions.send_cpe_reminders")
def send_cpe_reminders_task(*, today: str | None = None) -> dict[str, int] | str:
    """Daily: the reminders due today (certification years and proof requests), once a day;
    a reminder that went out is never sent twice."""
    from .reminders import send_cpe_reminders

    day = job_day(today)

    def work() -> dict[str, int]:
        run = send_cpe_reminders(today=day)
        return {"year_reminders": run.year_reminders, "proof_reminders": run.proof_reminders,
                "messages": run.messages}

    return once_a_day("send_cpe_reminders", day, work)


@shared_task(name="submissions.expire_proof_requests")
def expire_proof_requests_task(*, today: str | None = None) -> dict[str, int] | str:
    """Daily: reject the entries whose proof deadline passed without proof, once a day; each
    entry is rejected once."""
    from .deadlines import expire_proof_requests

    day = job_day(today)

    def work() -> dict[str, int]:
        run = expire_proof_requests(today=day)
        return {"rejected": run.rejected, "messages": run.messages}

    return once_a_day("expire_proof_requests", day, work)

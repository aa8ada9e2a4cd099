from celery import shared_task

from accounts.daily import once_a_day
from common.jobs import job_day

from .closing import close_certification_years
from .retention import purge_expired_proof

# The task names are the ones the schedule stored in the database knows (they were named when
# these jobs lived in `appeals`): a name is an identifier, kept when the code moves.


@shared_task(name="appeals.close_certification_years")
def close_certification_years_task(*, today: str | None = None) -> dict[str, int] | str:
    """Daily: close the certification years whose reporting deadline has passed, once a day.
    A run that crashed is resumed by the next: each year closes once."""
    day = job_day(today)

    def work() -> dict[str, int]:
        run = close_certification_years(today=day)
        return {"met": run.met, "exempt": run.exempt, "held": run.held,
                "decertified": run.decertified, "messages": run.messages}

    return once_a_day("close_certification_years", day, work)


@shared_task(name="appeals.purge_expired_proof")
def purge_expired_proof_task(*, today: str | None = None) -> dict[str, int] | str:
    """Daily: delete stored proof past retention that nothing open needs, once a day."""
    day = job_day(today)

    def work() -> dict[str, int]:
        run = purge_expired_proof(today=day)
        return {"files": run.files, "bytes": run.bytes}

    return once_a_day("purge_expired_proof", day, work)

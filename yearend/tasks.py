from celery import shared_task

from common.jobs import job_day

from .closing import close_certification_years
from .retention import purge_expired_proof

# The task names are the ones the schedule stored in the database knows (they were named when
# these jobs lived in `appeals`): a name is an identifier, kept when the code moves.


@shared_task(name="appeals.close_certification_years")
def close_certification_years_task(*, today: str | None = None) -> dict[str, int]:
    """Daily: close the certification years whose reporting deadline has passed. Safe to run
    again, and to run after a crash: each year closes once."""
    run = close_certification_years(
        today=job_day(today))
    return {"met": run.met, "exempt": run.exempt, "held": run.held,
            "decertified": run.decertified, "messages": run.messages}


@shared_task(name="appeals.purge_expired_proof")
def purge_expired_proof_task(*, today: str | None = None) -> dict[str, int]:
    """Daily: delete stored proof past retention that nothing open needs. Safe to run again."""
    run = purge_expired_proof(today=job_day(today))
    return {"files": run.files, "bytes": run.bytes}

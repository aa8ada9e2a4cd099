from celery import shared_task

from accounts.daily import once_a_day
from common.jobs import job_day

from .services import ensure_certification_years


@shared_task(name="certifications.open_certification_years")
def open_certification_years(*, today: str | None = None) -> dict[str, int] | str:
    """Daily: create the certification-year rows that have begun, once a day."""
    day = job_day(today)
    return once_a_day("open_certification_years", day,
                      lambda: {"years": ensure_certification_years(today=day)})

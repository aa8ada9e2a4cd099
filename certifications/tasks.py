from celery import shared_task

from common.jobs import job_day

from .services import ensure_certification_years


@shared_task(name="certifications.open_certification_years")
def open_certification_years(*, today: str | None = None) -> int:
    """Daily: create the certification-year rows that have begun. Safe to run again."""
    day = job_day(today)
    return ensure_certification_years(today=day)

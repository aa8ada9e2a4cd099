from datetime import date

from celery import shared_task
from django.utils import timezone

from .services import ensure_certification_years


@shared_task(name="certifications.open_certification_years")
def open_certification_years(*, today: str | None = None) -> int:
    """Daily: create the certification-year rows that have begun. Safe to run again."""
    day = date.fromisoformat(today) if today else timezone.localdate()
    return ensure_certification_years(today=day)

from celery import shared_task

from .standings import recount_open_years


@shared_task(name="submissions.recount_open_years")
def recount_open_years_task(*, activity_type_id: int | None = None,
                            level_id: int | None = None) -> int:
    """After a change of a cap or a requirement: recount the open years it affects, in batches.
    Safe to run again: a recount of what is already up to date changes nothing."""
    return recount_open_years(activity_type_id=activity_type_id, level_id=level_id)

"""Writes for certifications and their years."""

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import Exists, OuterRef

from accounts.models import User
from accounts.services import records_changed

from .enums import CertificationStatus
from .models import Certification, CertificationTitle, CertificationYear


def ensure_certification_years(
    *, today: date, certifications: Iterable[Certification] | None = None
) -> int:
    """Create the missing CertificationYear rows, up to the year containing `today`, for the
    given certifications (default: every active one). Set-based: one read, one insert.

    Side effects: inserts rows; existing rows are left as they are. Returns how many were new.
    """
    if certifications is None:
        # Only those without the year containing today: a certification's years are laid
        # without gaps, so the rest have every year already.
        certifications = Certification.objects.filter(
            status=CertificationStatus.ACTIVE, awarded_on__lte=today
        ).exclude(Exists(CertificationYear.objects.filter(
            certification=OuterRef("pk"), starts_on__lte=today, ends_on__gte=today,
        ))).select_related("title__level")
    rows = [CertificationYear.for_window(certification, window)
            for certification in certifications
            for window in certification.years_through(today)]
    before = CertificationYear.objects.count()
    CertificationYear.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return CertificationYear.objects.count() - before


@transaction.atomic
def award_certification(
    *, holder: User, title: CertificationTitle, awarded_on: date, today: date
) -> tuple[Certification, bool]:
    """Register (or correct the award date of) a holder's certification of a title.

    Side effects: creates or updates the Certification and creates its years up to `today`.
    When the award date changes, its years are laid anew. Returns the
    certification and whether anything changed.
    """
    certification = (
        Certification.objects.select_for_update()
        .select_related("title__level")
        .filter(holder=holder, title=title)
        .first()
    )
    changed = False
    if certification is None:
        certification = Certification(holder=holder, title=title, awarded_on=awarded_on)
        certification.full_clean()
        certification.save()
        changed = True
    elif certification.awarded_on != awarded_on:
        certification.awarded_on = awarded_on
        certification.full_clean()
        certification.save(update_fields=["awarded_on"])
        certification.years.all().delete()
        changed = True
    if changed:
        ensure_certification_years(today=today, certifications=[certification])
        records_changed(holder_ids=[holder.pk])
    return certification, changed

"""Writes for a holder's certifications that move the stored standings: an administrator awards
a certification, or corrects one's holder, title or award date. The certification part is
`certifications.services`; the recount of what the holders' entries count is here, beside the
standings it writes."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from certifications.models import Certification, CertificationTitle
from certifications.services import (
    award_certification,
    change_certification,
    check_certification_change,
)

from .standings.recount import lock_holders, recount_years


def _recount_certification(certification: Certification) -> None:
    """Count the holder's entries toward the certification's years, all laid anew: what an
    entry counts toward one year does not depend on any other year, so the holder's other
    certifications keep their standings as they are."""
    recount_years(certification.years.values_list("pk", flat=True))


@transaction.atomic
def register_certification(*, holder: User, title: CertificationTitle, awarded_on: date,
                           today: date) -> Certification:
    """Award `holder` a new certification of `title` on `awarded_on` (not after `today`; an
    active title; none of that title yet): ValidationError otherwise.

    Side effects: the certification (with its history row) and its years up to `today`; their
    stored standings counted, so the entries already logged that belong to the new years count
    toward them; the holder's records version."""
    lock_holders([holder.pk])
    check_certification_change(certification=None, holder=holder, title=title,
                               awarded_on=awarded_on, today=today)
    certification, _changed = award_certification(holder=holder, title=title,
                                                   awarded_on=awarded_on, today=today)
    _recount_certification(certification)
    return certification


@transaction.atomic
def correct_certification(*, certification: Certification, holder: User,
                          title: CertificationTitle, awarded_on: date, reason: str, by: User,
                          today: date) -> Certification:
    """Correct a certification's holder, title or award date through
    `certifications.services.change_certification` (which refuses it once the certification's
    record holds a decision, and lays its years again), and count the holder's entries toward
    the years laid again. Under the locks of the holder it had and the holder it has, so no
    entry of either is logged or decided while the years are laid again; the holder it had
    loses what counted toward them with the old years.

    Side effects: those of `change_certification` (the certification with a history row giving
    `reason` and `by`, its years laid again, both holders' records version); the stored
    standings of the certification's years. Nothing when nothing changes."""
    stored = Certification.objects.filter(pk=certification.pk).values_list(
        "holder_id", "title_id", "awarded_on").first()
    if stored is None:
        raise ValidationError(_("This certification no longer exists."))
    lock_holders({stored[0], holder.pk})
    corrected = change_certification(certification=certification, holder=holder, title=title,
                                      awarded_on=awarded_on, reason=reason, by=by, today=today)
    if stored != (holder.pk, title.pk, awarded_on):
        _recount_certification(corrected)
    return corrected


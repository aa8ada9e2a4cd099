"""Proof retention: stored proof is deleted `CPE_PROOF_RETENTION_MONTHS` months after the end of
the certification year its entry belongs to, unless something still open needs it: a proof
request or a decision on the entry (an audit asks through proof requests), or an appeal (of the
entry's rejection or adjustment, or of a decertification of the holder).

It lives here because an open appeal holds it. Each batch deletes the files first and then
their rows: a run killed in between leaves rows whose files are gone, which the next run
deletes (deleting a missing file is no error); no file outlives its row unnoticed.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce

from appeals.enums import OPEN_APPEAL_STATES
from appeals.models import Appeal
from certifications.models import CertificationYear
from common.jobs import job_lock
from submissions.enums import UNDECIDED_STATES, DenialKind
from submissions.models import ProofFile

BATCH_FILES = 1000
# The purge's advisory lock: a second purge waits for it, and so does a backup
# (cpe_portal.backup), which must not lose a file its database dump still names.
PURGE_LOCK = "purge_expired_proof"


@dataclass(frozen=True)
class PurgeRun:
    files: int
    bytes: int


def months_before(day: date, months: int) -> date:
    """The same day `months` months earlier (the month's last day where it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def expired_proof(*, today: date):
    """Proof files past retention on `today` that nothing open still needs."""
    cutoff = months_before(today, settings.CPE_PROOF_RETENTION_MONTHS)
    year_end = Subquery(
        CertificationYear.objects.filter(
            certification__holder_id=OuterRef("entry__holder_id"),
            starts_on__lte=OuterRef("entry__activity_date"),
            ends_on__gte=OuterRef("entry__activity_date"))
        .order_by("-ends_on").values("ends_on")[:1])
    open_appeals = Appeal.objects.filter(state__in=OPEN_APPEAL_STATES)
    return (ProofFile.objects
            .annotate(kept_from=Coalesce(year_end, "entry__activity_date"))
            .filter(kept_from__lt=cutoff)
            .exclude(entry__state__in=UNDECIDED_STATES)
            .exclude(Exists(open_appeals.filter(denial__entry_id=OuterRef("entry_id"))))
            .exclude(Exists(open_appeals.filter(denial__holder_id=OuterRef("entry__holder_id"),
                                                denial__kind=DenialKind.DECERTIFIED))))


def purge_expired_proof(*, today: date, batch_files: int = BATCH_FILES) -> PurgeRun:
    """Delete the stored proof past retention on `today` (see the module docstring).
    Returns how many files and bytes were deleted. Safe to run again, and after a crash."""
    files = size = 0
    with job_lock(PURGE_LOCK):
        while True:
            batch = list(expired_proof(today=today).order_by("pk")
                         .values_list("pk", "file", "size")[:batch_files])
            if not batch:
                break
            storage = ProofFile._meta.get_field("file").storage
            for _pk, name, _size in batch:
                storage.delete(name)
            ProofFile.objects.filter(pk__in=[pk for pk, _name, _size in batch]).delete()
            files += len(batch)
            size += sum(file_size for _pk, _name, file_size in batch)
    return PurgeRun(files, size)

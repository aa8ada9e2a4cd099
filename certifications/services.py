"""Writes for certifications and their years."""

from collections.abc import Iterable
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import records_changed

from .enums import CertificationStatus, YearState
from .models import Certification, CertificationLevel, CertificationTitle, CertificationYear

# simple_history's change reason column.
CHANGE_REASON_LENGTH = 100


def ensure_certification_years(
    *, today: date, certifications: Iterable[Certification] | None = None
) -> int:
    """Create the missing CertificationYear rows, up to the year containing `today`, for the
    given certifications (default: every active one). Set-based: on PostgreSQL, for every
    active certification, one INSERT ... SELECT; otherwise one read, one insert.

    Side effects: inserts rows; existing rows are left as they are. Returns how many were new.
    """
    if certifications is None and connection.vendor == "postgresql":
        return _lay_missing_years(today)
    if certifications is None:
        certifications = _lacking_current_year(today).select_related("title__level")
    rows = [CertificationYear.for_window(certification, window)
            for certification in certifications
            for window in certification.years_through(today)]
    before = CertificationYear.objects.count()
    CertificationYear.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return CertificationYear.objects.count() - before


def _lacking_current_year(today: date) -> QuerySet[Certification]:
    """Active certifications without the year containing today: a certification's years are
    laid without gaps, so the rest have every year already."""
    return Certification.objects.filter(
        status=CertificationStatus.ACTIVE, awarded_on__lte=today
    ).exclude(Exists(CertificationYear.objects.filter(
        certification=OuterRef("pk"), starts_on__lte=today, ends_on__gte=today,
    )))


def _lay_missing_years(today: date) -> int:
    """`ensure_certification_years` for every active certification, in SQL: the same rows as
    `rules.year_window` gives, written by the database instead of built in Python (a quarter of
    the time for a first run over 150,000 certifications). Year n starts on the (n-1)-th
    anniversary of the award, and PostgreSQL's `date + interval 'n years'` gives 28 February
    for a leap-day award in a common year, as `rules.anniversary` does; the year containing
    today is found as `rules.year_containing` finds it."""
    year, certification = CertificationYear._meta.db_table, Certification._meta.db_table
    title, level = CertificationTitle._meta.db_table, CertificationLevel._meta.db_table
    missing = _lacking_current_year(today).order_by().values("pk")
    missing_sql, missing_params = missing.query.sql_with_params()
    params = [settings.CPE_REPORTING_GRACE_DAYS, YearState.OPEN, today, today, *missing_params]
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO {year} (certification_id, number, starts_on, ends_on, deadline,
                                required_credits, state, counted_credits, undecided_credits)
            SELECT c.id, n, (c.awarded_on + make_interval(years => n - 1))::date,
                   (c.awarded_on + make_interval(years => n))::date - 1,
                   (c.awarded_on + make_interval(years => n))::date - 1 + %s::int,
                   l.required_credits, %s, 0, 0
            FROM {certification} c
            JOIN {title} t ON t.id = c.title_id
            JOIN {level} l ON l.id = t.level_id
            CROSS JOIN LATERAL (
                SELECT extract(year FROM %s::date)::int - extract(year FROM c.awarded_on)::int
                       + 1 AS number
            ) guess
            CROSS JOIN LATERAL generate_series(1, guess.number - CASE
                WHEN (c.awarded_on + make_interval(years => guess.number - 1))::date > %s::date
                THEN 1 ELSE 0 END) n
            WHERE c.id IN ({missing_sql})
            ON CONFLICT (certification_id, number) DO NOTHING
        """, params)  # noqa: S608 (table names and Django's own SQL)
        return cursor.rowcount


@transaction.atomic
def award_certification(
    *, holder: User, title: CertificationTitle, awarded_on: date, today: date
) -> tuple[Certification, bool]:
    """Register (or correct the award date of) a holder's certification of a title.

    Side effects: creates or updates the Certification and creates its years up to `today`.
    When the award date changes, its years are laid anew; that is refused (ValidationError) as
    `change_certification` refuses it, once the close has reached one of its years or a denial
    names it. Returns the certification and whether anything changed.
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
        _refuse_laying_years_again(certification)
        certification.awarded_on = awarded_on
        certification.full_clean()
        certification.save(update_fields=["awarded_on"])
        certification.years.all().delete()
        changed = True
    if changed:
        ensure_certification_years(today=today, certifications=[certification])
        records_changed(holder_ids=[holder.pk])
    return certification, changed


def certification_change_refusal(certification: Certification) -> str | None:
    """Why the certification's holder, title and award date may no longer change (its years
    may not be laid again), in words staff act on; None while they may. See
    `change_certification`."""
    if not certification.is_active:
        return _("A decertified certification changes only through the Board's decision on "
                 "its appeal.")
    reached = certification.years.exclude(state=YearState.OPEN).order_by("number").first()
    if reached is not None:
        return (_("Year %(number)d of this certification was closed or is held by the close: "
                  "a closed year is a record, so its holder, title and award date stay as they "
                  "are. Only the Board changes its outcome, on appeal.")
                % {"number": reached.number})
    # Denials live in an app above this one: read through the reverse relation.
    if certification.denials.exists():
        return _("A denial names this certification: changing it would leave that decision, "
                 "and any appeal of it, about a certification that no longer exists as it was.")
    return None


def _refuse_laying_years_again(certification: Certification) -> None:
    refusal = certification_change_refusal(certification)
    if refusal is not None:
        raise ValidationError(refusal)


def check_certification_change(*, certification: Certification | None, holder: User,
                               title: CertificationTitle, awarded_on: date,
                               today: date) -> None:
    """Raise ValidationError (every problem, in words staff act on) if `holder` may not hold a
    certification of `title` awarded on `awarded_on`: a new one (`certification` None) or
    `certification` corrected to these. Nothing is written."""
    problems = []
    if awarded_on > today:
        problems.append(_("The award date is in the future: give the day it was awarded."))
    if (certification is None or title.pk != certification.title_id) and not title.active:
        problems.append(_("This title is retired: it is no longer awarded."))
    others = Certification.objects.filter(holder=holder, title=title)
    if certification is not None:
        others = others.exclude(pk=certification.pk)
    if others.exists():
        problems.append(_("The holder already has a certification of this title."))
    if certification is not None and (certification.holder_id, certification.title_id,
                                      certification.awarded_on) != (holder.pk, title.pk,
                                                                    awarded_on):
        try:
            _refuse_laying_years_again(certification)
        except ValidationError as refused:
            problems += refused.messages
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def change_certification(*, certification: Certification, holder: User,
                         title: CertificationTitle, awarded_on: date, reason: str, by: User,
                         today: date) -> Certification:
    """Correct a certification's holder, title or award date (the register had it wrong), and
    lay its certification years again from the award date, as if it had been recorded right.

    What a certification body expects of such a correction: it is a correction of a record
    nobody has decided on yet. So it is refused (ValidationError, saying why) once the record
    holds a decision: a year the close has reached (closed as met, not met or exempt, or held
    for decisions: its outcome and its counted credits are what the close decided on), a
    decertified certification (the Board reinstates it, on appeal), or a denial naming the
    certification (it and any appeal of it would be about a certification that no longer
    exists as it was). Otherwise every year is open, and all of them are laid again up to
    `today` from the new award date, with the new title's requirement; the reminders sent for
    the old years' deadlines stay in the outbox. A year the new dates put past its deadline is
    closed by the next close, as any other.

    Runs in the caller's transaction. The stored standings are recounted by
    `submissions.awards.correct_certification`, which calls this: they are written by the app
    above this one.

    Side effects: the certification's holder, title and award date, with a history row giving
    `reason` and `by`; its years deleted and laid again (with their stored standings and
    reminders); the records version of the old and the new holder. Returns the certification.
    """
    locked = Certification.objects.select_for_update().select_related("title__level").get(
        pk=certification.pk)
    if (locked.holder_id, locked.title_id, locked.awarded_on) == (holder.pk, title.pk,
                                                                  awarded_on):
        return locked
    check_certification_change(certification=locked, holder=holder, title=title,
                               awarded_on=awarded_on, today=today)
    if not reason.strip():
        raise ValidationError(_("Say why the certification is changed: the reason is kept in "
                                "its history."))
    old_holder_id = locked.holder_id
    locked.holder, locked.title, locked.awarded_on = holder, title, awarded_on
    locked.full_clean()
    locked._change_reason = reason.strip()[:CHANGE_REASON_LENGTH]
    locked._history_user = by
    locked.save(update_fields=["holder", "title", "awarded_on"])
    locked.years.all().delete()
    ensure_certification_years(today=today, certifications=[locked])
    records_changed(holder_ids={old_holder_id, holder.pk})
    return locked


def decertify_certifications(certification_ids: Iterable[int], *, on: date, reason: str,
                             now: datetime) -> dict[int, Certification]:
    """Decertify these certifications as of `on` (the year-end close, for a batch): the title
    may no longer be used and the badge says revoked at once. Runs in the caller's transaction.

    Side effects: one UPDATE (the same values for all: bulk_update would build a CASE per row
    and field) and their history rows, giving `reason`; the holders' records version. Returns
    the certifications by id."""
    certifications = Certification.objects.in_bulk(list(certification_ids))
    Certification.objects.filter(pk__in=list(certifications)).update(
        status=CertificationStatus.DECERTIFIED, decertified_on=on)
    for certification in certifications.values():
        certification.status, certification.decertified_on = CertificationStatus.DECERTIFIED, on
    Certification.history.bulk_history_create(
        list(certifications.values()), update=True, default_change_reason=reason,
        default_date=now)
    # The holders' cards say the badge is revoked from now on.
    records_changed(holder_ids={c.holder_id for c in certifications.values()})
    return certifications


@transaction.atomic
def reinstate_certification(*, certification: Certification, reason: str,
                            decided_on: date) -> Certification:
    """Undo a decertification (the Board upheld the appeal against it on `decided_on`): the
    certification is active again, so its badge says so at once, and the year closed as not
    met is met by the Board's decision of that day. Its counted credits stay what the close
    recorded.

    Side effects: the certification's status, with a history row giving `reason`; the years
    closed as not met (state and `board_decided_on`); the holder's records version."""
    locked = Certification.objects.select_for_update().get(pk=certification.pk)
    locked.status, locked.decertified_on = CertificationStatus.ACTIVE, None
    locked._change_reason = reason
    locked.save(update_fields=["status", "decertified_on"])
    locked.years.filter(state=YearState.NOT_MET).update(state=YearState.MET,
                                                          board_decided_on=decided_on)
    records_changed(holder_ids=[locked.holder_id])
    return locked

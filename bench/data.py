"""Data generators for the benchmarks: holders with certifications and entries, inserted in bulk."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from activities.models import ActivityType
from certifications.models import Certification, CertificationTitle
from submissions.enums import EntryState
from submissions.models import Entry

PER_HOUR = ["other-course", "mentor", "give-exam-prep-course", "attend-security-coach"]


def make_holders(count: int, *, prefix: str, seed: int = 1) -> list[User]:
    rng = random.Random(seed)
    users = User.objects.bulk_create(
        User(email=f"{prefix}{i}@bench.example", full_name=f"Bench Holder {i}")
        for i in range(count)
    )
    titles = list(CertificationTitle.objects.filter(level__required_credits__gt=0))
    Certification.objects.bulk_create(
        Certification(holder=user, title=title,
                      awarded_on=date(2022, 1, 1) + timedelta(days=rng.randrange(900)))
        for user in users
        for title in rng.sample(titles, 2)
    )
    return users


def add_entries(holder: User, count: int, *, start: date, seed: int = 1) -> None:
    rng = random.Random(seed)
    types = {a.code: a for a in ActivityType.objects.filter(code__in=PER_HOUR)}
    now = timezone.now()
    Entry.objects.bulk_create(
        Entry(holder=holder, activity_type=types[rng.choice(PER_HOUR)],
              activity_date=start + timedelta(days=rng.randrange(330)),
              title=f"Bench activity {i}", hours=Decimal("1.5"),
              claimed_credits=Decimal("1.50"), state=EntryState.SUBMITTED,
              relevance_confirmed=True, logged_at=now - timedelta(minutes=i))
        for i in range(count)
    )

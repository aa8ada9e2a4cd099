"""One factory per model, and the files tests upload. Catalogue rows (activity types, levels,
titles) come from the data migrations, so factories look them up by code rather than inventing
them."""

import io
from datetime import date
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory
from pypdf import PdfWriter

from accounts.models import User
from activities.models import ActivityType
from certifications.models import Certification, CertificationTitle
from submissions.enums import EntryState
from submissions.models import Entry
from submissions.standings.recount import recount_entry_years

PASSWORD = "correct horse battery staple"


def activity(code: str) -> ActivityType:
    return ActivityType.objects.get(code=code)


def title(code: str) -> CertificationTitle:
    return CertificationTitle.objects.get(code=code)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"holder{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


class CertificationFactory(DjangoModelFactory):
    class Meta:
        model = Certification

    holder = factory.SubFactory(UserFactory)
    title = factory.LazyFunction(lambda: title("ISP"))
    awarded_on = date(2024, 1, 1)


class EntryFactory(DjangoModelFactory):
    class Meta:
        model = Entry
        skip_postgeneration_save = True

    holder = factory.SubFactory(UserFactory)
    activity_type = factory.LazyFunction(lambda: activity("other-course"))
    activity_date = date(2025, 3, 1)
    title = factory.Sequence(lambda n: f"Activity {n}")
    hours = Decimal("1")
    claimed_credits = Decimal("1.00")
    state = EntryState.SUBMITTED
    relevance_confirmed = True
    logged_at = factory.LazyFunction(timezone.now)
    # Reported on the day of the activity: it counts toward every year containing that day.
    reported_on = factory.SelfAttribute("activity_date")

    @factory.post_generation
    def stored_standings(obj: Entry, create: bool, extracted: object, **kwargs: object) -> None:
        # Written outside the services, so its years are recounted here, as a bulk load would.
        if create:
            recount_entry_years(obj)


def pdf_bytes(pages: int = 1, *, password: str = "") -> bytes:
    """A valid PDF of `pages` blank A4 pages, encrypted with `password` when one is given."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()

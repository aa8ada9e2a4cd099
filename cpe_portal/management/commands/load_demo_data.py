"""Demo logins, certifications and entries for trying the portal (`make run` loads them).

Safe to run again: existing demo users, certifications and entries are left as they are.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.roles import ADMINISTRATOR, BOARD, REVIEWER
from accounts.services import mark_email_verified
from activities.models import ActivityType
from certifications.enums import YearState
from certifications.models import CertificationTitle, CertificationYear
from certifications.rules import year_containing
from certifications.services import award_certification
from submissions.models import Entry
from submissions.services import EntryDetails, log_entry

# Published in the README as the demo logins: not secrets.
ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "cpe-admin-demo"  # noqa: S105
STAFF_PASSWORD = "cpe-staff-demo"  # noqa: S105
HOLDER_PASSWORD = "cpe-demo-2026"  # noqa: S105


@dataclass(frozen=True)
class DemoStaff:
    email: str
    full_name: str
    password: str
    role: str


# Each sets up two-factor authentication on their first visit to the admin.
STAFF = (
    DemoStaff(ADMIN_EMAIL, "Demo Administrator", ADMIN_PASSWORD, ADMINISTRATOR),
    DemoStaff("reviewer@example.com", "Demo Reviewer", STAFF_PASSWORD, REVIEWER),
    DemoStaff("board@example.com", "Demo Board Member", STAFF_PASSWORD, BOARD),
)


@dataclass(frozen=True)
class DemoEntry:
    activity: str
    title: str
    # Where the activity falls in the part of the holder's current certification years that
    # has passed: 0 is the day the earliest of them began, 100 is today. Relative placement
    # keeps every date inside an open year, and none in the future, whatever day it is.
    at_percent: int
    provider: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DemoHolder:
    email: str
    full_name: str
    awards: tuple[tuple[str, date], ...]
    entries: tuple[DemoEntry, ...] = ()


D = Decimal
HOLDERS = (
    DemoHolder(
        "hanna@example.com", "Hanna de Vries",
        awards=(("ISP", date(2023, 3, 15)), ("ISE", date(2024, 9, 1))),
        entries=(
            DemoEntry("attend-webinar", "Zero trust in practice", 10, "SECO-Institute",
                      {"length_minutes": 60, "attended_minutes": 60}),
            DemoEntry("other-course", "Cloud security architecture", 25, "Open Universiteit",
                      {"hours": D("12")}),
            DemoEntry("read-books", "Security Engineering, 3rd edition", 40, "Ross Anderson",
                      {"quantity": D("250")}),
            DemoEntry("mentor", "Mentoring two ISF candidates", 55, "", {"hours": D("6")}),
            DemoEntry("seco-short-course", "Threat modelling short course", 70,
                      "SECO-Institute"),
            DemoEntry("attend-webinar", "NIS2: what changes for you", 85, "SECO-Institute",
                      {"length_minutes": 90, "attended_minutes": 80}),
            DemoEntry("give-webinar", "Securing the software supply chain", 95,
                      "Dutch Security Meetup", {"proposed_credits": D("5")}),
        ),
    ),
    DemoHolder(
        # Piet ends up a few credits short of his 20 this year: the reminder case.
        "piet@example.com", "Piet Jansen",
        awards=(("DPP", date(2022, 6, 30)),),
        entries=(
            DemoEntry("other-course", "GDPR update for practitioners", 15, "Privacy Academy",
                      {"hours": D("8")}),
            DemoEntry("attend-webinar", "Data protection impact assessments", 35,
                      "SECO-Institute", {"length_minutes": 90, "attended_minutes": 90}),
            DemoEntry("listen-podcasts", "Serious Privacy, season 5", 60, "",
                      {"quantity": D("7")}),
            DemoEntry("seco-short-course", "Privacy by design short course", 80,
                      "SECO-Institute"),
        ),
    ),
    # Foundation titles require no CPE: Fatima shows the "nothing to log" page.
    DemoHolder("fatima@example.com", "Fatima El Amrani", awards=(("EHF", date(2024, 5, 20)),)),
    DemoHolder(
        # A leap-day award anniversaries on 28 February in common years.
        "sam@example.com", "Sam Okafor",
        awards=(("SOC-CA", date(2024, 2, 29)), ("CISO", date(2021, 11, 10))),
        entries=(
            DemoEntry("attend-security-coach", "Ask the Security Coach: incident response",
                      10, "SECO-Institute", {"hours": D("1.5")}),
            DemoEntry("other-course", "SIEM engineering", 30, "SANS", {"hours": D("16")}),
            DemoEntry("forum-moderator", "Moderating the SOC analysts forum", 45, "",
                      {"hours": D("3")}),
            DemoEntry("listen-podcasts", "Darknet Diaries", 60, "", {"quantity": D("9")}),
            DemoEntry("exam-questions", "Questions for the SOC-CA exam", 75, "SECO-Institute",
                      {"quantity": D("4")}),
            DemoEntry("attend-webinar", "Detection engineering with Sigma", 90,
                      "SECO-Institute", {"length_minutes": 120, "attended_minutes": 110}),
        ),
    ),
)
LATEST_AWARD = max(day for holder in HOLDERS for _code, day in holder.awards)


class Command(BaseCommand):
    help = "Load demo logins, certifications and CPE entries (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=date.fromisoformat,
                            help="Load as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args: object, **options: Any) -> None:
        today: date = options["date"] or timezone.localdate()
        if today < LATEST_AWARD:
            raise CommandError(f"The demo awards run up to {LATEST_AWARD}; use a --date on "
                               f"or after it.")
        # All or nothing, so a failed run leaves no half-loaded holder behind.
        with transaction.atomic():
            for staff in STAFF:
                self._load_staff(staff)
            for demo in HOLDERS:
                self._load_holder(demo, today)
        self.stdout.write("\nDemo logins:")
        for staff in STAFF:
            self.stdout.write(f"  {staff.email} / {staff.password} ({staff.role}, Django admin; "
                              f"sets up two-factor authentication on the first visit)")
        for demo in HOLDERS:
            self.stdout.write(f"  {demo.email} / {HOLDER_PASSWORD} ({demo.full_name})")

    def _load_staff(self, demo: DemoStaff) -> None:
        staff = User.objects.filter(email__iexact=demo.email).first()
        if staff is None:
            staff = User.objects.create_user(demo.email, demo.password,
                                             full_name=demo.full_name, is_staff=True)
            self.stdout.write(f"Created {demo.role} {demo.email}.")
        else:
            self.stdout.write(f"{demo.email} already exists; its password is left as it is.")
        # The role is what the demo shows: given back if it was taken away.
        if not staff.is_staff:
            staff.is_staff = True
            staff.save(update_fields=["is_staff"])
        staff.groups.add(Group.objects.get(name=demo.role))
        mark_email_verified(user=staff, email=demo.email)

    def _load_holder(self, demo: DemoHolder, today: date) -> None:
        holder = User.objects.filter(email__iexact=demo.email).first()
        if holder is None:
            holder = User.objects.create_user(
                demo.email, HOLDER_PASSWORD, full_name=demo.full_name
            )
            self.stdout.write(f"Created holder {demo.email} ({demo.full_name}).")
        else:
            self.stdout.write(f"{demo.email} already exists; its password is left as it is.")
        mark_email_verified(user=holder, email=demo.email)

        for code, awarded_on in demo.awards:
            title = CertificationTitle.objects.get(code=code)
            _certification, changed = award_certification(
                holder=holder, title=title, awarded_on=awarded_on, today=today
            )
            if changed:
                self.stdout.write(f"  Awarded {title.name} ({code}) on {awarded_on}.")
        begins = _earliest_current_year_start(demo, today)
        # The demo's records begin with its entries: the years that ended before then are
        # recorded as the year-end close left them, met (those of titles without CPE,
        # exempt). The years the entries fall in are the close's to judge.
        past = CertificationYear.objects.filter(certification__holder=holder,
                                                state=YearState.OPEN, ends_on__lt=begins)
        past.filter(required_credits__gt=0).update(state=YearState.MET, closed_at=timezone.now(),
                                                   counted_at_close=F("counted_credits"))
        past.filter(required_credits=0).update(state=YearState.EXEMPT, closed_at=timezone.now(),
                                               counted_at_close=F("counted_credits"))
        if not demo.entries:
            return
        # A holder who already has entries keeps exactly those: a second run adds none.
        if Entry.objects.filter(holder=holder).exists():
            self.stdout.write("  Entries already logged; none added.")
            return
        span = (today - begins).days
        logged = 0
        for demo_entry in demo.entries:
            activity_date = begins + timedelta(days=span * demo_entry.at_percent // 100)
            try:
                # Logged on the day it took place, as a holder keeping up would have.
                log_entry(holder=holder, today=activity_date, details=EntryDetails.from_data({
                    "activity_type": ActivityType.objects.get(code=demo_entry.activity),
                    "activity_date": activity_date, "title": demo_entry.title,
                    "provider": demo_entry.provider, "relevance_confirmed": True,
                    **demo_entry.inputs,
                }))
            except ValidationError as error:
                # A cap or a year boundary on an unusual --date: show it and carry on, as
                # the portal would have told the holder.
                self.stdout.write(f"  Skipped “{demo_entry.title}”: {' '.join(error.messages)}")
            else:
                logged += 1
        self.stdout.write(f"  Logged {logged} entries between {begins} and {today}.")


def _earliest_current_year_start(demo: DemoHolder, today: date) -> date:
    """The first day of the earliest-begun current certification year among the holder's
    awards: every day from it up to today lies in that year, which is still open."""
    starts = []
    for _code, awarded_on in demo.awards:
        window = year_containing(awarded_on, today, grace_days=0)
        if window is not None:
            starts.append(window.starts_on)
    return min(starts)

from datetime import date

from certifications.services import ensure_certification_years
from common.jobs import JobCommand


class Command(JobCommand):
    help = "Create the certification-year rows that have begun (safe to run again)."

    def run(self, *, today: date, **options: object) -> str:
        created = ensure_certification_years(today=today)
        return f"Opened {created} certification year(s) as of {today}."

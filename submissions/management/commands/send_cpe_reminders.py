from datetime import date

from common.jobs import JobCommand
from submissions.reminders import send_cpe_reminders


class Command(JobCommand):
    help = ("Send the reminders due today: of certification years not met, at each of "
            "CPE_REMINDER_DAYS before their deadline, and of proof due within 7 days (safe to "
            "run again: nothing is sent twice).")

    def run(self, *, today: date, **options: object) -> str:
        run = send_cpe_reminders(today=today)
        return (f"Reminders as of {today}: {run.year_reminders} certification year(s) and "
                f"{run.proof_reminders} proof request(s), in {run.messages} mail(s).")

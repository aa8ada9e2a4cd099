from datetime import date

from common.jobs import JobCommand
from submissions.deadlines import expire_proof_requests


class Command(JobCommand):
    help = ("Reject the entries whose requested proof did not arrive by its deadline, each with "
            "a denial and a mail (safe to run again: each entry is rejected once).")

    def run(self, *, today: date, **options: object) -> str:
        run = expire_proof_requests(today=today)
        return (f"Proof deadlines as of {today}: {run.rejected} entry(ies) rejected; "
                f"{run.messages} mail(s).")

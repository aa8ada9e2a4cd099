from datetime import date

from common.jobs import JobCommand
from yearend.retention import purge_expired_proof


class Command(JobCommand):
    help = ("Delete stored proof CPE_PROOF_RETENTION_MONTHS months after the end of its "
            "certification year, unless a proof request, a decision or an appeal on it is "
            "still open (safe to run again).")

    def run(self, *, today: date, **options: object) -> str:
        run = purge_expired_proof(today=today)
        return (f"Proof past retention as of {today}: {run.files} file(s) deleted "
                f"({run.bytes:,} bytes).")

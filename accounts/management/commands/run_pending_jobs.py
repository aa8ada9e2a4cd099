from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts.models import PendingJob
from accounts.pending import run_pending_jobs


class Command(BaseCommand):
    # No --date: a job is not about a day. It does now what a committed change promised.
    help = ("Do the jobs committed changes promised that no worker has done (a recount after a "
            "new cap or requirement), each once, oldest first; prints how many were done and "
            "how many are left (safe to run again, and beside the scheduled sweep).")

    def handle(self, *args: object, **options: object) -> None:
        now = timezone.now()
        # Every job not done, however young: an operator runs this when the workers are not.
        done = run_pending_jobs(now=now, older_than=timedelta(0), seconds=float("inf"))
        left = PendingJob.objects.filter(done_at__isnull=True).count()
        self.stdout.write(f"{done} job(s) done, {left} not done.")

"""The portal scaled out on loopback, as a certification body runs it on several machines: two
gunicorn instances with the production settings, two Celery workers and two beats (one of them
started by mistake), one PostgreSQL database, one Redis, one S3 server and one mail server.

Holders log activities alternately through both instances while the beats send every scheduled
job every two seconds (the year-end close and the reminders among them); a proof uploaded
through one instance downloads through the other; a reviewer's decision through one shows on
the holder's dashboard through the other at once. Afterwards every answer that said "saved" has
its entry and no entry is doubled, the stored standings agree with a recount, every message
reached the mail server exactly once, and each daily job did its work once for the day."""

import io
import json
import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

from accounts.models import DailyRun, OutboxMessage
from accounts.outbox import outbox_message_id
from accounts.roles import REVIEWER
from certifications.enums import CertificationStatus
from certifications.models import Certification
from certifications.services import ensure_certification_years
from submissions.enums import EntryState
from submissions.models import Entry
from tests.factories import CertificationFactory, EntryFactory, UserFactory, activity, pdf_bytes
from tests.s3 import KEYS, s3_client, s3_server
from tests.services import ROOT, CeleryProcess, Portal, credential_keys, wait_for
from tests.smtp import MailSink
from tests.staff import make_staff, sign_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DAILY_JOBS = ("open_certification_years", "expire_proof_requests", "close_certification_years",
              "purge_expired_proof", "send_cpe_reminders")
HTTPS = {"X-Forwarded-Proto": "https"}
LOGGING_HOLDERS = 6
ENTRIES_EACH = 5


class Browser:
    """A holder's or a reviewer's browser over plain HTTP behind a TLS proxy: the production
    settings mark cookies Secure, which a cookie jar would not send over http, so this one
    keeps them itself. Redirects are not followed: a test reads each answer."""

    def __init__(self, session_key: str) -> None:
        self.cookies = {settings.SESSION_COOKIE_NAME: session_key}
        self.http = requests.Session()

    def _headers(self, url: str) -> dict[str, str]:
        origin = "https://" + url.split("://", 1)[1].split("/", 1)[0]
        return {**HTTPS, "Origin": origin, "Referer": origin + "/",
                "Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}

    def _keep(self, response: requests.Response) -> requests.Response:
        self.cookies.update(response.cookies.get_dict())
        return response

    def get(self, url: str) -> requests.Response:
        return self._keep(self.http.get(url, headers=self._headers(url), allow_redirects=False,
                                        timeout=30))

    def post(self, url: str, data: dict[str, str], files: dict | None = None,
             ) -> requests.Response:
        return self._keep(self.http.post(url, data=data, files=files, headers=self._headers(url),
                                         allow_redirects=False, timeout=60))

    def form_fields(self, url: str) -> dict[str, str]:
        """The CSRF token of the form at `url` (read with GET first, as a browser would)."""
        page = self.get(url)
        assert page.status_code == 200, (url, page.status_code)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, url
        return {"csrfmiddlewaretoken": token.group(1)}


def session_of(user, *, staff: bool = False) -> str:
    """A signed-in session (past the second factor, for staff) as its cookie's value: the sign-in
    pages themselves are other tests' business."""
    if staff:
        client = sign_in(Client(), user)
    else:
        client = Client()
        client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture
def static_root(tmp_path) -> Path:
    """The static files as a deployment collects them: the production settings serve them by
    their manifest."""
    root = tmp_path / "static"
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                   cwd=ROOT, check=True, env={**os.environ, "STATIC_ROOT": str(root),
                                              "DJANGO_SETTINGS_MODULE": "cpe_portal.settings.base"})
    return root


@pytest.fixture
def services(tmp_path, static_root, redis_server) -> Iterator[dict[str, object]]:
    sink = MailSink().start()
    try:
        with s3_server(tmp_path / "moto.log") as endpoint:
            bucket = f"proof-{uuid.uuid4().hex[:12]}"
            s3_client(endpoint).create_bucket(Bucket=bucket)
            yield {"redis": redis_server, "sink": sink, "s3": endpoint, "bucket": bucket,
                   "static": static_root}
    finally:
        sink.stop()


def portal_environment(services: dict[str, object]) -> dict[str, str]:
    """What every process of the installation is given: the same settings, no code."""
    database = connection.settings_dict
    return {
        "DJANGO_SETTINGS_MODULE": "cpe_portal.settings.production",
        "SECRET_KEY": settings.SECRET_KEY, "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": (f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
                         f"{database['PORT'] or 5432}/{database['NAME']}"),
        "REDIS_URL": services["redis"].url,  # type: ignore[attr-defined]
        "CACHE_KEY_PREFIX": f"scale-{uuid.uuid4().hex[:8]}",
        "PRIVATE_STORAGE_BUCKET": services["bucket"],  # type: ignore[dict-item]
        "AWS_S3_ENDPOINT_URL": services["s3"], **KEYS,  # type: ignore[dict-item]
        "EMAIL_URL": services["sink"].url,  # type: ignore[attr-defined]
        "CPE_SITE_URL": "https://portal.example.org", "CPE_CREDENTIAL_KEYS": credential_keys(),
        "LOG_FORMAT": "json",
        "CONN_MAX_AGE": "0", "STATIC_ROOT": str(services["static"]),
    }


def a_year_before(day: date) -> date:
    return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)


def make_population(today: date) -> dict[str, list]:
    """Holders in every situation the jobs of `today` meet: years whose reporting deadline
    passed (two met, two short), years whose deadline is 30 days away and not met (a reminder
    is due), and holders in the middle of their year who log activities."""
    grace = timedelta(days=settings.CPE_REPORTING_GRACE_DAYS)
    # Year 1 ended a week before the grace period did: its deadline passed, the close decides.
    closing_awarded = a_year_before(today - grace - timedelta(days=7))
    # Year 1 ends today: its deadline is 30 days away, the day of the 30-day reminder.
    reminded_awarded = a_year_before(today + timedelta(days=1))
    population: dict[str, list] = {"met": [], "short": [], "reminded": [], "logging": []}
    for group, awarded, count in (("met", closing_awarded, 2), ("short", closing_awarded, 2),
                                  ("reminded", reminded_awarded, 2),
                                  ("logging", today - timedelta(days=100), LOGGING_HOLDERS)):
        for _ in range(count):
            holder = UserFactory()
            EmailAddress.objects.create(user=holder, email=holder.email, verified=True,
                                        primary=True)
            certification = CertificationFactory(holder=holder, awarded_on=awarded)
            if group == "met":
                EntryFactory(holder=holder, activity_date=awarded + timedelta(days=30),
                             hours=Decimal("20"), claimed_credits=Decimal("20"),
                             state=EntryState.APPROVED)
            population[group].append(certification)
    ensure_certification_years(today=today)
    # The entries above were written directly: the stored standings are laid from them.
    call_command("recount_standings", stdout=io.StringIO())
    return population


def every_job_every_two_seconds() -> None:
    """The schedule an operator could set in the admin, made fast: each periodic task every two
    seconds instead of once a day or every five minutes."""
    call_command("seed_schedule", stdout=io.StringIO())
    every, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.update(interval=every, crontab=None, last_run_at=None)
    PeriodicTasks.update_changed()


def recent_state(dashboard: str, entry_id: int) -> str:
    """The state the dashboard's recent activities give the entry."""
    found = re.search(rf'<a href="/entries/{entry_id}/">.*?<small[^>]*>([^<]+)</small></span>\s*'
                      r"</li>", dashboard, re.S)
    assert found, dashboard
    return found.group(1).strip()


def log_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def test_two_instances_two_workers_and_two_beats_lose_and_double_nothing(services, tmp_path):
    today = timezone.localdate()
    first_message = (OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
                     or 0)
    population = make_population(today)
    reviewer = make_staff(REVIEWER)
    every_job_every_two_seconds()
    environment = portal_environment(services)

    web = [Portal(environment, log=tmp_path / f"web{n}.log") for n in (1, 2)]
    for instance in web:
        instance.start()
    processes = [CeleryProcess(["worker", "--pool", "prefork", "--concurrency", "1", "--hostname",
                          f"worker{n}@%h", "--without-gossip", "--without-mingle",
                          "--loglevel", "INFO"],
                         {**os.environ, **environment},
                         tmp_path / f"worker{n}.log") for n in (1, 2)]
    processes += [CeleryProcess(["beat", "--loglevel", "INFO", "--max-interval", "1",
                           "--pidfile", str(tmp_path / f"beat{n}.pid"),
                           "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler"],
                          {**os.environ, **environment},
                          tmp_path / f"beat{n}.log") for n in (1, 2)]
    try:
        # -- Holders log alternately through both instances while the beats run the jobs.
        holders = [certification.holder for certification in population["logging"]]
        browsers = {holder.pk: Browser(session_of(holder)) for holder in holders}
        other_course = activity("other-course").pk
        saved: list[tuple[int, str, int]] = []
        for round_ in range(ENTRIES_EACH):
            for index, holder in enumerate(holders):
                instance = web[(round_ * len(holders) + index) % 2]
                browser = browsers[holder.pk]
                title = f"Course {round_}-{index} {secrets.token_hex(4)}"
                fields = {**browser.form_fields(f"{instance.url}/entries/new/"),
                          "activity_type": str(other_course),
                          "activity_date": (today - timedelta(days=1)).isoformat(),
                          "title": title, "hours": "1.5", "relevance_confirmed": "on",
                          "confirmed": "on", "form_token": str(uuid.uuid4())}
                answer = browser.post(f"{instance.url}/entries/new/", fields)
                assert answer.status_code == 302, (answer.status_code, answer.text[:2000])
                assert re.fullmatch(r"/entries/\d+/", answer.headers["Location"])
                saved.append((holder.pk, title, web.index(instance)))
                assert browser.get(instance.url + answer.headers["Location"]).status_code == 200
                if round_ == 0 and index == 0:
                    # The same form sent again, to the other instance: saved once.
                    again = browser.post(f"{web[1].url}/entries/new/", {
                        **fields, **browser.form_fields(f"{web[1].url}/entries/new/")})
                    assert again.status_code == 302
                    assert again.headers["Location"] == answer.headers["Location"]
                    assert browser.get(web[1].url + again.headers["Location"]).status_code == 200

        # -- A proof uploaded through one instance downloads through the other.
        holder = holders[0]
        browser = browsers[holder.pk]
        proof = pdf_bytes(2)
        fields = {**browser.form_fields(f"{web[0].url}/entries/new/"),
                  "activity_type": str(other_course),
                  "activity_date": today.isoformat(),
                  "title": "Course with its certificate", "hours": "2",
                  "relevance_confirmed": "on", "confirmed": "on", "form_token": str(uuid.uuid4())}
        answer = browser.post(f"{web[0].url}/entries/new/", fields,
                              files={"proof": ("certificate.pdf", proof, "application/pdf")})
        assert answer.status_code == 302, answer.text[:2000]
        saved.append((holder.pk, fields["title"], 0))
        entry_page = browser.get(web[1].url + answer.headers["Location"])
        assert entry_page.status_code == 200
        download = re.search(r'href="(/proof/\d+/)"', entry_page.text)
        assert download, entry_page.text[:3000]
        downloaded = browser.get(web[1].url + download.group(1))
        assert downloaded.status_code == 200
        assert downloaded.content == proof
        entry_id = int(answer.headers["Location"].strip("/").rsplit("/", 1)[1])
        stored = s3_client(services["s3"]).list_objects_v2(Bucket=services["bucket"])
        assert stored["KeyCount"] == 1

        # -- A reviewer approves it through one instance; the holder's dashboard through the
        # other shows it at once (a page cached before the decision is not served after it).
        dashboard_before = browser.get(f"{web[1].url}/").text
        staff = Browser(session_of(reviewer, staff=True))
        change = f"{web[0].url}/admin/submissions/entry/{entry_id}/change/"
        decided = staff.post(f"{web[0].url}/admin/submissions/entry/{entry_id}/decide/", {
            **staff.form_fields(change), "action": "approve",
            "seen_state": EntryState.SUBMITTED})
        assert decided.status_code == 302, decided.text[:2000]
        assert Entry.objects.get(pk=entry_id).state == EntryState.APPROVED
        dashboard_after = browser.get(f"{web[1].url}/").text
        assert recent_state(dashboard_before, entry_id) == "submitted"
        assert recent_state(dashboard_after, entry_id) == "approved"

        # -- The jobs: each daily one did its work for today, whichever beat sent it first.
        wait_for(lambda: set(DailyRun.objects.filter(day=today).values_list("job", flat=True))
                 == set(DAILY_JOBS), "every daily job", 120)
        # Every message is handed over: those the close, the reminders and the decision wrote.
        wait_for(lambda: not OutboxMessage.objects.filter(pk__gt=first_message,
                                                          sent_at__isnull=True).exists(),
                 "the outbox emptied", 120)
        # Both beats sent the daily jobs again after they ran: a few more seconds of it.
        time.sleep(6)
    finally:
        for process in processes:
            process.stop()
        for instance in web:
            instance.stop()

    # Every "saved" answer has its entry, none doubled, spread over both instances.
    logged = Counter(Entry.objects.filter(holder__in=holders).values_list("holder", "title"))
    assert logged == Counter((holder_id, title) for holder_id, title, _ in saved)
    assert set(logged.values()) == {1}
    assert Counter(instance for _, _, instance in saved) == {0: 16, 1: 15}

    # The stored standings agree with an independent recount.
    check = subprocess.run(
        [sys.executable, "manage.py", "recount_standings", "--check"], cwd=ROOT,
        env={**os.environ, **environment}, capture_output=True, text=True,
        timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr

    # The close decided the four years whose deadline passed, the reminders went out.
    statuses = {certification.pk: status for certification, status in (
        (c, Certification.objects.get(pk=c.pk).status)
        for group in ("met", "short") for c in population[group])}
    assert [statuses[c.pk] for c in population["short"]] == [CertificationStatus.DECERTIFIED] * 2
    assert CertificationStatus.DECERTIFIED not in [statuses[c.pk] for c in population["met"]]
    written = OutboxMessage.objects.filter(pk__gt=first_message)
    kinds = Counter(written.values_list("kind", flat=True))
    by_recipient = Counter(written.values_list("to", "kind"))
    assert set(by_recipient.values()) == {1}, by_recipient
    for certification in population["short"] + population["reminded"]:
        assert certification.holder.email in {to for to, _ in by_recipient}

    # Every message reached the mail server exactly once, under its own Message-ID.
    received = Counter(message["Message-ID"] for message in services["sink"].received())
    assert received == Counter(outbox_message_id(message) for message in written), kinds

    # Each daily job did its work once today; the beats sent it more often than that.
    runs = Counter(DailyRun.objects.values_list("job", "day"))
    assert runs == Counter((job, today) for job in DAILY_JOBS)
    worker_lines = [line for process in processes[:2] for line in log_lines(process.text())]
    repeated = Counter(line.get("job") for line in worker_lines
                       if line.get("state") == "already done")
    for job_task in ("appeals.close_certification_years", "submissions.send_cpe_reminders"):
        assert repeated[job_task] >= 1, repeated
    for beat in processes[2:]:
        assert "Sending due task" in beat.text()
    for worker in processes[:2]:
        assert any(line.get("job") for line in log_lines(worker.text())), worker.text()[-2000:]

"""Benchmarks: `make bench` (`python -m bench --help`).

Creates a throw-away PostgreSQL database (`BENCH_DATABASE_NAME`, default `bench_cpe_portal`, on
the server of `DATABASE_URL`), migrates and fills it, serves the portal with gunicorn and
production settings on a free loopback port, loads it with wrk, and drops the database.

- pages: the dashboard and the entry list for holders with 1, 1,000 and 10,000 entries, each
  compared with a trivial signed-in page in the same run, served from the page cache and then
  rendered on every request (bench/pages.py);
- logging: POST /entries/new/ rotating over 200 holders, then holders with no entries against
  holders with 1,000 counting entries in the year (bench/posting.py);
- jobs: the jobs that run over every certification, in process (bench/jobs.py);
- admin: the staff's entry list, review queue and holders overview over a million entries and
  100,000 holders, signed in as a superuser (bench/admin.py);
- yearend: the year-end close and the reminder sweep over 100,000 holders and a million entries,
  and over one tenth of that, each against hand-written set-based SQL, in process, on databases
  of their own (`<name>_yearend_10`, `<name>_yearend_1`; bench/yearend.py).

Prints markdown tables and a PASS/FAIL line per target; exits 1 when a target fails.
"""

import argparse
import os
import platform
import secrets
import shutil
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import psycopg
from psycopg import sql

PARTS = ("pages", "logging", "jobs", "admin", "yearend")


def _urls() -> tuple[str, str, str]:
    """The benchmark database's URL, the server's maintenance database URL, and the name."""
    name = os.environ.get("BENCH_DATABASE_NAME", "bench_cpe_portal")
    server = urllib.parse.urlsplit(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cpe_portal"))
    return (server._replace(path=f"/{name}").geturl(),
            server._replace(path="/postgres").geturl(), name)


def _drop(maintenance: str, name: str) -> None:
    with psycopg.connect(maintenance, autocommit=True) as db:
        db.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10,
                        help="how long wrk loads each URL (default 10)")
    parser.add_argument("--only", choices=PARTS, action="append",
                        help="run only this part (repeatable)")
    options = parser.parse_args()
    parts = options.only or list(PARTS)

    from bench import wrk

    wrk.ensure_wrk()
    database_url, maintenance, name = _urls()
    workdir = Path(tempfile.mkdtemp(prefix="cpe-bench-"))
    environment = {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The production settings ask for the domain and keys credentials are issued with;
        # on loopback the public development key may sign.
        "CPE_SITE_URL": os.environ.get("CPE_SITE_URL", "http://127.0.0.1:8000"),
        "CPE_CREDENTIAL_KEYS": "development",
        "SECURE_SSL_REDIRECT": "False",
        "CONN_MAX_AGE": "60",
        "BENCH_STATIC_ROOT": str(workdir / "static"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "LOG_LEVEL": "WARNING",
    }
    # The same settings here and in the server: sessions made here are valid there.
    os.environ.update(environment)
    _drop(maintenance, name)
    with psycopg.connect(maintenance, autocommit=True) as db:
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        return _run(parts, options.seconds, environment, workdir)
    finally:
        from django.db import connections

        connections.close_all()
        _drop(maintenance, name)
        shutil.rmtree(workdir, ignore_errors=True)


def _postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"


def _run(parts: list[str], seconds: float, environment: dict[str, str], workdir: Path) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from bench import admin, data, jobs, pages, posting, yearend
    from bench.report import progress

    started = time.perf_counter()
    progress(f"database {environment['DATABASE_URL'].rsplit('/', 1)[-1]}: migrate, "
             "collectstatic")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    today = timezone.localdate()
    progress("data: holders, certifications, entries")
    page_holders = pages.make_data(today=today) if "pages" in parts else {}
    groups = posting.make_data(today=today) if "logging" in parts else {}
    timings = data.finish(today=today)
    progress(f"data ready in {time.perf_counter() - started:.0f} s (recount_standings: "
             f"{timings['recount_standings']:.1f} s, vacuum analyze: "
             f"{timings['vacuum_analyze']:.1f} s)")

    # Other work on the machine moves every number: say how busy it was.
    print(f"## Benchmarks, {time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores "
          f"(load average {os.getloadavg()[0]:.1f} at the start), "
          f"{platform.python_implementation()} {platform.python_version()}, "
          f"{_postgres_version()}\n", flush=True)
    targets = []
    if "pages" in parts:
        text, found = pages.run(holders=page_holders, environment=environment,
                                log=workdir / "gunicorn-pages.log", seconds=seconds)
        print(text, flush=True)
        targets += found
        # The same pages rendered on every request, as on a holder's first view after a change
        # of their records (which changes the key of their cached page): judged apart.
        text, found = pages.run(holders=page_holders,
                                environment={**environment, "CPE_PAGE_CACHE_SECONDS": "0"},
                                log=workdir / "gunicorn-pages-uncached.log", seconds=seconds,
                                heading="Pages rendered on every request "
                                        "(CPE_PAGE_CACHE_SECONDS=0)",
                                within_trivial=pages.UNCACHED_WITHIN_TRIVIAL,
                                judged=" rendered on every request")
        print(text, flush=True)
        targets += found
    if "logging" in parts:
        # Holders with a thousand counting entries in one year would have passed the annual
        # submission cap long ago: this server applies it to no year.
        text, found = posting.run(
            groups=groups, environment={**environment, "CPE_SUBMISSION_CAP_FROM": "2100-01-01"},
            log=workdir / "gunicorn-logging.log", workdir=workdir, seconds=seconds, today=today)
        print(text, flush=True)
        targets += found
    if "jobs" in parts:
        print(jobs.run(today=today), flush=True)
    if "admin" in parts:
        # Made last, so that the other parts (the jobs' recount above all) measure their own.
        progress(f"admin data: {admin.HOLDERS:,} holders, {admin.ENTRIES:,} entries")
        started = time.perf_counter()
        staff = admin.make_data(today=today)
        inserted = time.perf_counter() - started
        started = time.perf_counter()
        data.fill_standings(today=today)
        held = admin.hold_years(today=today)
        standings = time.perf_counter() - started
        progress(f"admin data ready: inserts {inserted:.0f} s, years and standings "
                 f"{standings:.0f} s")
        print(f"Admin data: {admin.sizes()}, {held:,} of them held for decisions; inserted in "
              f"{inserted:.0f} s, years and stored standings in {standings:.0f} s.\n")
        text, found = admin.run(staff=staff, environment=environment,
                                log=workdir / "gunicorn-admin.log", seconds=seconds)
        print(text, flush=True)
        targets += found
    if "yearend" in parts:
        # On databases of their own: the close and the reminders run over every holder there.
        _url, maintenance, name = _urls()
        text, found = yearend.run(today=today, database=f"{name}_yearend",
                                  maintenance=maintenance)
        print(text, flush=True)
        targets += found

    print(f"Load average at the end: {os.getloadavg()[0]:.1f}\n")
    if targets:
        print("### Targets\n")
        print("\n".join(target.line() for target in targets))
    return 0 if all(target.passed for target in targets) else 1


if __name__ == "__main__":
    sys.exit(main())

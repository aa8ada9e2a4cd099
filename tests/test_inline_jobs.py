"""`make run`'s embedded default: SQLite, no Redis, tasks inline and mail to the console. A job
run there sends its mail through the same outbox, and the command that ran it prints it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items()
                   if key not in {"REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    environment |= {"DJANGO_SETTINGS_MODULE": "cpe_portal.settings.local",
                    "DATABASE_URL": f"sqlite:///{database}"}
    result = subprocess.run(  # noqa: S603 — our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True,
        text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return result


def test_the_close_on_the_demo_prints_its_mail_without_redis(tmp_path):
    database = tmp_path / "demo.sqlite3"
    manage("migrate", "--noinput", "-v0", database=database)
    manage("load_demo_data", "--date", "2026-11-29", database=database)

    close = manage("close_certification_years", "--date", "2026-11-29", database=database)
    again = manage("close_certification_years", "--date", "2026-11-29", database=database)

    assert "Subject: Information Security Expert: your certification is decertified" in close.stdout
    assert "To: hanna@example.com" in close.stdout
    assert close.stdout.strip().endswith(
        "Closed as of 2026-11-29: 0 year(s) met, 1 certification(s) decertified, 0 year(s) held "
        "for decisions, 0 without CPE; 1 mail(s).")
    assert again.stdout.strip() == (
        "Closed as of 2026-11-29: 0 year(s) met, 0 certification(s) decertified, 0 year(s) held "
        "for decisions, 0 without CPE; 0 mail(s).")

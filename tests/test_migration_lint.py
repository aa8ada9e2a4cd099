"""`make lint`'s migration linter: today's migrations pass (they are on the allow-list), and a
new migration that would lock or rewrite a table, or break the running version during an
upgrade, is refused, read from the SQL PostgreSQL would run."""

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

BASE_DIR = Path(__file__).resolve().parent.parent

# New submissions migrations, each after the one before: the changes an upgrade must not make in
# one step, and the expand steps docs/operations.md gives instead.
NEW_MIGRATIONS = {
    "9001_entry_review_note_required": (
        'migrations.AddField("entry", "review_note", '
        'models.TextField(default=""), preserve_default=False)'
    ),
    "9002_rename_entry_provider": 'migrations.RenameField("entry", "provider", "organiser")',
    "9003_remove_entry_description": 'migrations.RemoveField("entry", "description")',
    "9004_entry_title_as_text": 'migrations.AlterField("entry", "title", models.TextField())',
    "9005_entry_state_index": (
        'migrations.AddIndex("entry", '
        'models.Index(fields=["state"], name="entry_state_idx"))'
    ),
    "9006_entry_review_flag_nullable": (
        'migrations.AddField("entry", "review_flag", models.TextField(null=True))'
    ),
    "9007_entry_source_db_default": (
        'migrations.AddField("entry", "source", '
        'models.CharField(max_length=20, db_default="portal"))'
    ),
    "9008_entry_source_index_concurrently": (
        'AddIndexConcurrently("entry", '
        'models.Index(fields=["source"], name="entry_source_idx"))'
    ),
}
REFUSED = {
    "9001_entry_review_note_required": "NOT NULL constraint on columns",
    "9002_rename_entry_provider": "RENAMING columns",
    "9003_remove_entry_description": "DROPPING columns",
    "9004_entry_title_as_text": "ALTERING columns",
    "9005_entry_state_index": "CREATE INDEX locks table",
}
PASSED = {"9006_entry_review_flag_nullable", "9007_entry_source_db_default",
          "9008_entry_source_index_concurrently"}


def lint_migrations(project: Path) -> tuple[int, dict[tuple[str, str], list[str]]]:
    """Run `manage.py lintmigrations` as `make lint` does, in `project`, on the test database.
    Returns its exit status and, per migration, its verdict followed by its messages."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    result = subprocess.run(
        [sys.executable, "manage.py", "lintmigrations", "--no-cache"],
        cwd=project, capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": url,
             "DJANGO_SETTINGS_MODULE": "cpe_portal.settings.test"},
    )
    verdicts: dict[tuple[str, str], list[str]] = {}
    current: list[str] = []
    for line in result.stdout.splitlines():
        if match := re.fullmatch(r"\((\w+), (\w+)\)\.\.\. (.+)", line):
            current = verdicts.setdefault((match[1], match[2]), [match[3]])
        elif line.startswith("\t"):
            current.append(line.strip())
    assert verdicts, result.stdout + result.stderr
    return result.returncode, verdicts


@pytest.fixture
def project_with_new_migrations(tmp_path: Path, django_db_setup) -> Path:
    """A copy of the project with NEW_MIGRATIONS added to submissions."""
    project = tmp_path / "project"
    shutil.copytree(BASE_DIR, project, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "node_modules", "mutants", "artifacts", "var", "tests",
        "bench", "docs", ".env", "*.sqlite3"))
    (latest,) = MigrationLoader(None).graph.leaf_nodes("submissions")
    previous = latest[1]
    for name, operation in NEW_MIGRATIONS.items():
        (project / "submissions" / "migrations" / f"{name}.py").write_text(textwrap.dedent(f"""\
            from django.contrib.postgres.operations import AddIndexConcurrently
            from django.db import migrations, models


            class Migration(migrations.Migration):
                atomic = {"concurrently" not in name}
                dependencies = [("submissions", "{previous}")]
                operations = [{operation}]
            """))
        previous = name
    return project


def test_migration_lint_todays_migrations_pass(django_db_setup):
    returncode, verdicts = lint_migrations(BASE_DIR)

    assert returncode == 0
    # The migrations on the allow-list are let through; every later one was judged, and passed.
    assert {verdict[0] for verdict in verdicts.values()} <= {"IGNORE", "OK"}
    assert verdicts[("submissions", "0001_initial")] == ["IGNORE"]
    assert verdicts[("accounts", "0007_daily_run")] == ["OK"]


def test_migration_lint_refuses_locks_rewrites_and_breaking_changes(project_with_new_migrations):
    returncode, verdicts = lint_migrations(project_with_new_migrations)

    assert returncode == 1
    for name, message in REFUSED.items():
        verdict = verdicts[("submissions", name)]
        assert verdict[0] == "ERR", (name, verdict)
        assert any(line.startswith(message) for line in verdict[1:]), (name, verdict)
    for name in PASSED:
        assert verdicts[("submissions", name)] == ["OK"], name
    # Only what came after the check was judged (the migrations that ran before it are let
    # through): the new ones here, and the project's own later ones, which pass.
    new = {("submissions", name) for name in NEW_MIGRATIONS}
    judged = {key for key, verdict in verdicts.items() if verdict[0] != "IGNORE"}
    assert new <= judged
    assert all(verdicts[key] == ["OK"] for key in judged - new), verdicts
    assert verdicts[("submissions", "0001_initial")] == ["IGNORE"]

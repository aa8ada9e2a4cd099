# CPE Portal — the two commands: `make run` and `make test`.
PYTHON ?= python3
# `make run` serves on 127.0.0.1 at this port.
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
# `make run` installs what the portal needs to run and no more; everything else (tests, lint,
# benchmarks, mutation testing) installs the `dev` extra on top, in the same .venv.
RUN_STAMP := $(VENV)/.run-stamp
DEV_STAMP := $(VENV)/.dev-stamp
# The tests' independent parsers and verifiers from the npm registry (tests/js: ical.js reads the
# calendar feed, did-jwt-vc verifies the Open Badges credentials).
JS_STAMP := tests/js/node_modules/.ci-stamp
PG_URL := postgres://postgres@127.0.0.1:5432/cpe_portal
LOCAL := DJANGO_SETTINGS_MODULE=cpe_portal.settings.local \
	CPE_SITE_URL=$${CPE_SITE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/python manage.py

.PHONY: run test install lint bench mutation backup restore clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.3"

$(RUN_STAMP): pyproject.toml build-constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --build-constraint build-constraints.txt -e .
	touch $(RUN_STAMP)

$(DEV_STAMP): pyproject.toml build-constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --build-constraint build-constraints.txt -e ".[dev]"
	touch $(DEV_STAMP)

# Without npm the tests that need them say so (skipped here, failed in CI).
$(JS_STAMP): tests/js/package.json tests/js/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix tests/js --no-audit --no-fund && touch $(JS_STAMP); \
	else echo "npm not found: the tests that parse with tests/js will say so"; fi

install: $(DEV_STAMP)

## Serve the portal on http://127.0.0.1:$(PORT) (8000 unless PORT is set) with SQLite, inline
## tasks and mail to the console.
run: $(RUN_STAMP)
	$(LOCAL) migrate --noinput
	$(LOCAL) seed_schedule
	$(LOCAL) load_demo_data
	$(LOCAL) close_certification_years
	$(LOCAL) runserver 127.0.0.1:$(PORT)

## The whole suite, on PostgreSQL and Redis (DATABASE_URL / REDIS_URL).
test: $(DEV_STAMP) $(JS_STAMP)
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	$(BIN)/pytest $(PYTEST_ARGS)

## ruff, the floor plan (import-linter: apps import only downward), the migrations check, the
## migration linter (new migrations that would lock or rewrite tables, or break the running
## version during an upgrade; it reads their SQL from PostgreSQL) and the compose file.
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=cpe_portal.settings.local $(BIN)/python manage.py makemigrations --check --dry-run
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} DJANGO_SETTINGS_MODULE=cpe_portal.settings.test \
	$(BIN)/python manage.py lintmigrations --no-cache --quiet ignore
	@command -v docker-compose >/dev/null || { echo "make lint needs docker-compose (apt-get install docker-compose)"; exit 1; }
	docker-compose config -q

## Back up the database of DATABASE_URL (pg_dump, custom format) and every private file into a
## new folder BACKUP_DIR, with a manifest of sizes and sha256 sums (docs/operations.md, *Backups*).
backup: $(RUN_STAMP)
	@test -n "$(BACKUP_DIR)" || { echo "make backup needs BACKUP_DIR=<a new folder>"; exit 2; }
	$(BIN)/python manage.py backup_portal "$(BACKUP_DIR)"

## Restore BACKUP_DIR into the empty database of DATABASE_URL and the configured private storage
## (FORCE=1 restores into a database that has tables, replacing what the backup holds).
restore: $(RUN_STAMP)
	@test -n "$(BACKUP_DIR)" || { echo "make restore needs BACKUP_DIR=<a backup folder>"; exit 2; }
	$(BIN)/python manage.py restore_portal "$(BACKUP_DIR)" $(if $(FORCE),--force)

## Load benchmarks through gunicorn and wrk, on a database of their own (never part of `make test`).
bench: $(DEV_STAMP)
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	$(BIN)/python -m bench $(BENCH_ARGS)

## Mutation testing of the rule modules with mutmut, each mutant against the pure tests that
## reach it (never part of `make test`; about ten minutes on two cores). Scores: docs/testing.md.
mutation: $(DEV_STAMP)
	rm -rf mutants
	set -f; TEST_DATABASE_NAME=$${TEST_DATABASE_NAME:-test_cpe_mutation} \
	nice -n 10 $(BIN)/mutmut run --max-children 2 $$($(BIN)/python -m tests.mutation_report --patterns)
	$(BIN)/python -m tests.mutation_report

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles var mutants

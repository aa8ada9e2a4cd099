# CPE Portal — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install lint bench mutation clean

$(STAMP): pyproject.toml build-constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.3"
	$(BIN)/python -m pip install --quiet --build-constraint build-constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Serve the portal on http://127.0.0.1:8000 with SQLite, inline tasks and mail to the console.
run: install
	DJANGO_SETTINGS_MODULE=cpe_portal.settings.local $(BIN)/python manage.py migrate --noinput
	DJANGO_SETTINGS_MODULE=cpe_portal.settings.local $(BIN)/python manage.py seed_schedule
	DJANGO_SETTINGS_MODULE=cpe_portal.settings.local $(BIN)/python manage.py load_demo_data
	DJANGO_SETTINGS_MODULE=cpe_portal.settings.local $(BIN)/python manage.py close_certification_years
	DJANGO_SETTINGS_MODULE=cpe_portal.settings.local $(BIN)/python manage.py runserver 127.0.0.1:8000

## The whole suite, on PostgreSQL and Redis (DATABASE_URL / REDIS_URL).
test: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/cpe_portal} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	$(BIN)/pytest $(PYTEST_ARGS)

## ruff, the floor plan (import-linter: apps import only downward) and the migrations check.
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=cpe_portal.settings.local $(BIN)/python manage.py makemigrations --check --dry-run

## Load benchmarks through gunicorn and wrk, on a database of their own (never part of `make test`).
bench: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/cpe_portal} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	$(BIN)/python -m bench $(BENCH_ARGS)

## Mutation testing of the rule modules with mutmut, each mutant against the pure tests that
## reach it (never part of `make test`; about ten minutes on two cores). Scores: README.
mutation: install
	rm -rf mutants
	set -f; TEST_DATABASE_NAME=$${TEST_DATABASE_NAME:-test_cpe_mutation} \
	nice -n 10 $(BIN)/mutmut run --max-children 2 $$($(BIN)/python -m tests.mutation_report --patterns)
	$(BIN)/python -m tests.mutation_report

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles var mutants

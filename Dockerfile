# CPE Portal: one image for the web server (gunicorn), the Celery worker and Celery beat.
# docker-compose.yml runs them together with PostgreSQL, Redis, MinIO and a mail catcher.

# --- build: install the project and its dependencies into a virtualenv ----------------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
COPY . .
# What the portal needs to run, as `make run` installs it: `[project] dependencies`, never the
# `dev` extra (tests, lint, benchmarks). --build-constraint needs pip 25.3;
# build-constraints.txt keeps an sdist's build working (see the Makefile).
RUN pip install --upgrade "pip>=25.3" \
 && pip install --build-constraint build-constraints.txt .

# --- runtime ---------------------------------------------------------------------------------
FROM python:3.11-slim

# PostgreSQL's client programs, for `manage.py backup_portal` and `restore_portal` (pg_dump,
# pg_restore) in this image: of the server's major version, the `postgres:16` of
# docker-compose.yml (a client may be newer than its server, never older; change both
# together). Debian ships one major version per release, so they come from the PostgreSQL
# project's own repository (apt.postgresql.org), for this image's Debian release.
ARG POSTGRES_MAJOR=16
RUN set -eux; \
    . /etc/os-release; \
    install -d /usr/share/postgresql-common/pgdg; \
    python -c "import urllib.request; urllib.request.urlretrieve('https://www.postgresql.org/media/keys/ACCC4CF8.asc', '/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc')"; \
    echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt ${VERSION_CODENAME}-pgdg main" \
        > /etc/apt/sources.list.d/pgdg.list; \
    apt-get update; \
    apt-get install -y --no-install-recommends "postgresql-client-${POSTGRES_MAJOR}"; \
    rm -rf /var/lib/apt/lists/*; \
    pg_dump --version | grep -q " ${POSTGRES_MAJOR}\."

# The settings find templates/ and static/ next to the cpe_portal package, so the code runs
# from /app (PYTHONPATH) rather than from the copy installed in the virtualenv.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=cpe_portal.settings.production \
    PRIVATE_MEDIA_ROOT=/data/private-media \
    MEDIA_ROOT=/data/media

RUN groupadd --system --gid 10001 cpe \
 && useradd --system --uid 10001 --gid cpe --home-dir /app --shell /usr/sbin/nologin cpe \
 && mkdir -p /data/private-media /data/media \
 && chown -R cpe:cpe /data

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY . .

# Static files are part of the image. The base settings need no secrets, database or broker,
# and use the same hashed, compressed storage as production.
RUN DJANGO_SETTINGS_MODULE=cpe_portal.settings.base python manage.py collectstatic --noinput

USER cpe
EXPOSE 8000
CMD ["gunicorn", "cpe_portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-", "--no-control-socket"]

"""Settings shared by every environment. Values come from the environment (django-environ)."""

import ipaddress
from datetime import date
from decimal import Decimal
from pathlib import Path

import environ
import xstatic.pkg.bootstrap
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="insecure-local-key-change-me-for-anything-but-your-laptop")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# A form refused for its security token says what to do, in the site's look.
CSRF_FAILURE_VIEW = "cpe_portal.views.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_celery_beat",
    "simple_history",
    "csp",
    "accounts",
    "activities",
    "certifications",
    "submissions",
    "appeals",
    "yearend",
    # What holders carry out of the portal: the calendar of their CPE dates.
    "credentials",
    # The project itself, on top of the apps: demo data and the landing page.
    "cpe_portal",
]

MIDDLEWARE = [
    # First: every request gets its id and its log line, redirects and refusals included.
    "common.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "common.middleware.PrivateCacheControlMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # The admin only for staff signed in with two factors (after messages and allauth).
    "common.middleware.StaffTwoFactorMiddleware",
    # Then input the admin would answer with a server error is refused (after staff checks).
    "common.middleware.AdminInputMiddleware",
    # A holder's write refused by `own_for_write_or_404`: a message on the object's page.
    "common.middleware.RefusalMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "cpe_portal.urls"
WSGI_APPLICATION = "cpe_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite in the project folder is the embedded default for `make run`; every other environment
# sets DATABASE_URL to PostgreSQL. Persistent connections cost nothing and save a connect per
# request.
def database(url: str, *, conn_max_age: int) -> dict:
    """The database settings for a URL. On PostgreSQL, parameters are bound by the server and
    psycopg prepares a statement the fifth time a connection runs it (the pages' reads, the
    recount of the stored standings): PostgreSQL then parses it once per connection and plans
    it once, not on every run. Django turns psycopg's preparing off unless `prepare_threshold`
    is set (for poolers that share a server connection between clients, which the portal does
    not sit behind)."""
    settings = env.db_url_config(url)
    settings["CONN_MAX_AGE"] = conn_max_age
    settings["CONN_HEALTH_CHECKS"] = True
    if settings["ENGINE"].endswith("postgresql"):
        settings.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
    return settings


DATABASES = {
    "default": database(env("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
                        conn_max_age=env.int("CONN_MAX_AGE", default=60)),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.forms.HolderSignupForm"}
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[CPE Portal] "
ACCOUNT_PREVENT_ENUMERATION = True
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "CPE Portal"

# History is kept to be read: no admin page puts a past version back over the record.
SIMPLE_HISTORY_REVERT_DISABLED = True

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date style everywhere ("2 December 2026"): cpe_portal/formats/en/formats.py.
FORMAT_MODULE_PATH = ["cpe_portal.formats"]
TIME_ZONE = env("TIME_ZONE", default="Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
# Where collectstatic writes the files (and the manifest) the production settings serve.
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Bootstrap comes from the xstatic-bootstrap package installed with the project.
    ("bootstrap", xstatic.pkg.bootstrap.BASE_DIR),
]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440


def private_files(bucket: str) -> dict:
    """Where proof files and appeal documents are kept: a private bucket of S3-compatible object
    storage when `bucket` is named (MinIO in compose), else a folder outside MEDIA_ROOT. Either
    way no file has a URL of its own: the portal's views check who asks and stream the file."""
    if not bucket:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private-media"),
                "base_url": None,
            },
        }
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            # Keys under this prefix, for a bucket shared with other data.
            "location": env("PRIVATE_STORAGE_PREFIX", default="").strip("/"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env("AWS_S3_REGION_NAME", default="us-east-1"),
            # Unset, boto3 looks further (an instance or task role).
            "access_key": env("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY", default="") or None,
            # No ACL on upload: objects stay private to the bucket's owner.
            "default_acl": None,
            # Generated names never collide, and if one did, no file may replace another.
            "file_overwrite": False,
            # Any URL made for an object is signed (Signature Version 4, which MinIO and every
            # region take) and dies within a minute.
            "querystring_auth": True,
            "querystring_expire": 60,
            "signature_version": "s3v4",
            # A download is read from the bucket into memory up to this size, then to disk.
            "max_memory_size": FILE_UPLOAD_MAX_MEMORY_SIZE,
        },
    }


PRIVATE_STORAGE_BUCKET = env("PRIVATE_STORAGE_BUCKET", default="")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Proof files and appeal documents: never served by a URL of their own.
    "private": private_files(PRIVATE_STORAGE_BUCKET),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Mail ------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="CPE Portal <cpe@localhost>")
# Where the portal is reached: mail links to its pages with this in front.
CPE_SITE_URL = env("CPE_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Open Badges credentials (the credentials app) --------------------------------------------
# Each certification is an Open Badges 3.0 credential signed by the portal as `did:web` of
# CPE_SITE_URL's domain. The keys: a JWK Set of Ed25519 keys, newest first; the first signs and
# every one is published in /.well-known/did.json, so credentials signed before a rotation keep
# verifying (docs/badges.md). `development` is a public key for `make run` and the tests; the
# production settings require keys of the installation's own.
CPE_CREDENTIAL_KEYS = env("CPE_CREDENTIAL_KEYS", default="")
# The certification body, as credentials name their issuer.
CPE_ISSUER_NAME = env("CPE_ISSUER_NAME", default="CPE Portal")

# --- Cache ----------------------------------------------------------------------------------
# Sign-in rate limits count in the cache, so every web worker must share it: Redis when there is
# one, memory for `make run`.
REDIS_URL = env("REDIS_URL", default="")
CACHES = {
    "default": (
        # Redis down or hanging reads as an empty cache (`common.cache`): pages render
        # without their cached copy instead of failing, within the socket timeouts.
        {"BACKEND": "common.cache.ResilientRedisCache", "LOCATION": REDIS_URL,
         # Sites (or a site and its staging copy) that share one Redis keep apart by this.
         "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="cpe"),
         "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    ),
}

# --- Celery ----------------------------------------------------------------------------------
# Without REDIS_URL, tasks run inline in the process that sends them.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# A task is acknowledged when it has finished, not when a worker took it: a worker that dies
# (killed, out of memory) leaves it in Redis for another worker. Every task is safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Nothing waits for a task's return value (the database row says what happened). Storing no
# results also keeps `.delay()` off the result backend, whose reconnect loop would hold a web
# request for about 20 seconds with Redis down. A caller that wants one asks with
# `apply_async(..., ignore_result=False)`.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis hands an unacknowledged task to another worker after this long. It must outlast the
    # longest a worker may hold one: a task's hard time limit (30 minutes), and a retry's
    # countdown (mail delivery waits up to an hour), or a task still running, or still waiting
    # for its retry, would run a second time.
    "visibility_timeout": 2 * 60 * 60,
    # A Redis that is down, or that hangs without closing the connection, fails a publish
    # within seconds instead of holding the web request that sent it (by default the socket
    # waits forever).
    "socket_connect_timeout": 2,
    "socket_timeout": 3,
}
# A publish is tried once more at once (a pooled connection that died with a Redis restart is
# replaced), then given up: the caller leaves the work to a sweep (mail stays in the outbox).
# Measured: with Redis refusing connections `.delay()` raises within 0.1 s, with Redis hanging
# within 6 s (two tries of socket_timeout). Celery's defaults took 19 s, and with Redis hanging
# never returned.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2,
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Beat's schedule lives in the database, where operators change it in the admin
# (*Periodic tasks*). The database scheduler writes CELERY_BEAT_SCHEDULE over those rows each
# time beat starts, so it stays empty: the default schedule below is seeded by `seed_schedule`
# (and a migration), which only adds the tasks missing by name.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
# name: task and crontab (minute, hour; the other fields "*"), in TIME_ZONE, kwargs none.
CPE_DEFAULT_SCHEDULE: dict[str, dict[str, str]] = {
    "open-certification-years": {
        "task": "certifications.open_certification_years", "minute": "15", "hour": "0"},
    "expire-proof-requests": {
        "task": "submissions.expire_proof_requests", "minute": "45", "hour": "0"},
    "close-certification-years": {
        "task": "appeals.close_certification_years", "minute": "0", "hour": "1"},
    "purge-expired-proof": {
        "task": "appeals.purge_expired_proof", "minute": "0", "hour": "3"},
    "send-cpe-reminders": {
        "task": "submissions.send_cpe_reminders", "minute": "0", "hour": "6"},
    "deliver-unsent-mail": {
        "task": "accounts.deliver_unsent_mail", "minute": "*/5", "hour": "*"},
    "run-pending-jobs": {
        "task": "accounts.run_pending_jobs", "minute": "*/5", "hour": "*"},
}

# --- Security headers that hold everywhere -------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Forms -----------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- The CPE policy (PRODUCT.md): every number a certification body may change -----------------
CPE_REPORTING_GRACE_DAYS = env.int("CPE_REPORTING_GRACE_DAYS", default=30)
CPE_PROOF_MAX_BYTES = env.int("CPE_PROOF_MAX_BYTES", default=10 * 1024 * 1024)
CPE_PROOF_DEADLINE_DAYS = env.int("CPE_PROOF_DEADLINE_DAYS", default=30)
CPE_PROOF_DEADLINE_MAX_DAYS = env.int("CPE_PROOF_DEADLINE_MAX_DAYS", default=90)
if not 0 < CPE_PROOF_DEADLINE_DAYS <= CPE_PROOF_DEADLINE_MAX_DAYS:
    # Otherwise every request for proof with the default deadline would be refused.
    raise ImproperlyConfigured("CPE_PROOF_DEADLINE_DAYS must be more than 0 and at most "
                               "CPE_PROOF_DEADLINE_MAX_DAYS.")
CPE_PROOF_RETENTION_MONTHS = env.int("CPE_PROOF_RETENTION_MONTHS", default=12)
CPE_REMINDER_DAYS = env.list("CPE_REMINDER_DAYS", cast=int, default=[90, 30, 7])
CPE_APPEAL_WINDOW_DAYS = env.int("CPE_APPEAL_WINDOW_DAYS", default=90)
CPE_APPEAL_MAX_WORDS = env.int("CPE_APPEAL_MAX_WORDS", default=1000)
CPE_APPEAL_PREPARATION_DAYS = env.int("CPE_APPEAL_PREPARATION_DAYS", default=7)
# Years that begin on or after this date count at most this multiple of their requirement.
CPE_SUBMISSION_CAP_FROM = date.fromisoformat(env("CPE_SUBMISSION_CAP_FROM", default="2025-01-01"))
CPE_SUBMISSION_CAP_FACTOR = Decimal(env("CPE_SUBMISSION_CAP_FACTOR", default="2"))
# How long a holder's dashboard and entry list are kept rendered. Every change to the holder's
# records shows at once regardless (the cache key carries their records version); this only
# bounds how long a renamed title or activity type takes to show. 0 renders every request.
CPE_PAGE_CACHE_SECONDS = env.int("CPE_PAGE_CACHE_SECONDS", default=600)

# --- Logs, errors and metrics ----------------------------------------------------------------
# One line per request (`cpe_portal.requests`) and per job run (`cpe_portal.jobs`), each with
# its fields (`common.observability`); every record carries the id of the request it was written
# in. `LOG_FORMAT=json` writes each record as one JSON object (the default in production),
# `plain` as text.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "common.observability.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            # An ISO 8601 time in UTC.
            "timestamp": "time",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"],
                             "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# A Celery worker writes its lines (the job lines among them) as configured here, not in its own
# format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Errors of web requests and Celery tasks go to Sentry when a DSN is set, without personal data
# (no email, no IP address, no cookies or request bodies, and not the values of the frames'
# variables, where an address a mail was for or a file's name would be).
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )

# `/metrics` (Prometheus) answers clients in these networks, or anyone sending
# `Authorization: Bearer <METRICS_TOKEN>` when a token is set; anyone else gets a 404.
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS",
                                    default=["127.0.0.1/32", "::1/128"])
METRICS_TOKEN = env("METRICS_TOKEN", default="")
try:
    for _network in METRICS_ALLOWED_NETWORKS:
        ipaddress.ip_network(_network, strict=False)
except ValueError as error:
    raise ImproperlyConfigured(f"METRICS_ALLOWED_NETWORKS: {error}") from error

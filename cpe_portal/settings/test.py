"""The test suite: PostgreSQL and Redis from DATABASE_URL and REDIS_URL."""

from .base import *  # noqa: F403
from .base import database, env

DATABASES = {
    "default": database(env("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/cpe_portal"),
                        conn_max_age=0),
}
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", default="test_cpe_portal")}

# `make lint` runs its `lintmigrations` with these settings, on PostgreSQL's SQL: a dev
# dependency, so never in the settings `make run` or production read. Its options are in
# pyproject.toml.
INSTALLED_APPS = [*INSTALLED_APPS, "django_migration_linter"]  # noqa: F405

# Credentials signed with the public development key unless a test gives keys of its own.
CPE_CREDENTIAL_KEYS = env("CPE_CREDENTIAL_KEYS", default="development")

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
# Services enqueue on commit; unit tests run those tasks inline, and the tests that claim a
# worker start a real one against Redis.
CELERY_TASK_ALWAYS_EAGER = True

# Each test process keeps its own cache: nothing counted in one run leaks into the next.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
}
# Local files, whatever the environment names: the object storage tests start an S3 server of
# their own and point STORAGES["private"] at it.
STORAGES["private"] = {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": env.path("PRIVATE_MEDIA_ROOT",
                                     default=BASE_DIR / "var" / "test-private-media"),  # noqa: F405
                "base_url": None},
}
ACCOUNT_RATE_LIMITS = False
LOGGING = {"version": 1, "disable_existing_loggers": False}
# WhiteNoise serves straight from the app and package folders, no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

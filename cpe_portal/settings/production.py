"""Production: refuses to start without SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL, CPE_SITE_URL
(the domain credentials are issued from) and CPE_CREDENTIAL_KEYS (the keys they are signed
with), or with the public development key for a domain other than this machine's."""

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CPE_CREDENTIAL_KEYS, CPE_SITE_URL, database, env

for _name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "CPE_SITE_URL",
              "CPE_CREDENTIAL_KEYS"):
    if not env.str(_name, default=""):
        raise ImproperlyConfigured(f"Set the {_name} environment variable.")
# Anyone can derive the development key: it may sign for this machine (compose on a laptop), never
# for a domain others verify credentials from.
if (CPE_CREDENTIAL_KEYS.strip() == "development"
        and urlsplit(CPE_SITE_URL).hostname not in {"localhost", "127.0.0.1", "::1"}):
    raise ImproperlyConfigured(
        "CPE_CREDENTIAL_KEYS=development is the public development key: it signs only for "
        "localhost. Make a key of your own with `python manage.py credential_key`.")

DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
DATABASES = {"default": database(env("DATABASE_URL"),
                                 conn_max_age=env.int("CONN_MAX_AGE", default=60))}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# Probes and the metrics scraper call the workers directly, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True

# A log collector reads one JSON object per line.
LOG_FORMAT = env("LOG_FORMAT", default="json")
LOGGING["handlers"]["console"]["formatter"] = LOG_FORMAT  # noqa: F405

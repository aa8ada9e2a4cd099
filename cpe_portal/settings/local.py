"""`make run` on a laptop: SQLite, tasks inline, mail to the console, debug on."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# Credentials signed with the public development key unless keys are given.
CPE_CREDENTIAL_KEYS = env("CPE_CREDENTIAL_KEYS", default="development")
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
}
# WhiteNoise serves straight from the app and package folders, no collectstatic needed.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# SQLite has no covering indexes: the stored standings' index simply has no included column here.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

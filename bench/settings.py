"""The benchmark server: production settings, plus a trivial signed-in page (bench/urls.py) that
every page is compared with in the same run. Never used outside `make bench`."""

from cpe_portal.settings.production import *  # noqa: F403
from cpe_portal.settings.production import BASE_DIR, env

ROOT_URLCONF = "bench.urls"
# The production static storage reads a manifest that collectstatic writes; the benchmark
# collects into a folder of its own.
STATIC_ROOT = env.path("BENCH_STATIC_ROOT", default=BASE_DIR / "var" / "bench-static")

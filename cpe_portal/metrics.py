"""`/metrics` for Prometheus: the request latency histogram (`common.observability`) and the
work waiting after commits, read with a few aggregate queries when a scrape asks, never per
request.

With PROMETHEUS_MULTIPROC_DIR set, every gunicorn worker writes its histogram to files in that
folder and a scrape, whichever worker answers it, adds all of them up (prometheus_client's
multiprocess mode; the folder must be emptied when the server starts). Without it each worker
keeps its own counts and a scrape sees only the worker that answered it: fine for one worker.
"""

import hmac
import ipaddress
import logging
import os
from collections.abc import Iterator
from functools import lru_cache

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count, Max, Min
from django.http import HttpRequest
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from accounts.models import DailyRun, OutboxMessage, PendingJob

logger = logging.getLogger(__name__)


class WaitingWorkCollector(Collector):
    """The outbox and the pending jobs (the recounts a change queued for the sweep), as they
    stand at the scrape: two aggregates over the partial indexes of unsent and undone rows; and
    when each scheduled daily job last finished its day's work (a few rows a day)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            outbox = OutboxMessage.objects.filter(sent_at__isnull=True).aggregate(
                count=Count("pk"), oldest=Min("created_at"))
            pending = PendingJob.objects.filter(done_at__isnull=True).aggregate(
                count=Count("pk"), oldest=Min("created_at"))
            finished = list(DailyRun.objects.values("job").annotate(last=Max("finished_at"))
                            .order_by("job"))
        except DatabaseError:
            # `/readyz` says the database is down; the scrape still gets the latencies.
            logger.warning("Metrics of waiting work not read.", exc_info=True)
            return
        now = timezone.now()
        yield GaugeMetricFamily("cpe_outbox_unsent_messages",
                                "Mail written to the outbox and not sent yet.",
                                value=outbox["count"])
        yield GaugeMetricFamily(
            "cpe_outbox_oldest_unsent_age_seconds",
            "Age of the oldest message not sent yet (0 when all are sent).",
            value=(now - outbox["oldest"]).total_seconds() if outbox["oldest"] else 0)
        yield GaugeMetricFamily("cpe_pending_jobs",
                                "Jobs (recounts) a change queued and no worker has done yet.",
                                value=pending["count"])
        yield GaugeMetricFamily(
            "cpe_pending_job_oldest_age_seconds",
            "Age of the oldest job not done yet (0 when all are done).",
            value=(now - pending["oldest"]).total_seconds() if pending["oldest"] else 0)
        daily = GaugeMetricFamily(
            "cpe_daily_job_last_finished_timestamp_seconds",
            "When each scheduled daily job last finished its day's work (Unix time).",
            labels=["job"])
        for row in finished:
            daily.add_metric([row["job"]], row["last"].timestamp())
        yield daily


def exposition() -> bytes:
    """The metrics in Prometheus' text format."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    waiting = CollectorRegistry(auto_describe=False)
    waiting.register(WaitingWorkCollector())
    return generate_latest(processes) + generate_latest(waiting)


@lru_cache(maxsize=4)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network,
                                               ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def may_scrape(request: HttpRequest) -> bool:
    """Whether the client is in METRICS_ALLOWED_NETWORKS, or sent the METRICS_TOKEN. The address
    is the one the connection came from (REMOTE_ADDR): scrape the workers from inside, not
    through a proxy, or use the token."""
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        if hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network
               for network in _networks(tuple(settings.METRICS_ALLOWED_NETWORKS)))

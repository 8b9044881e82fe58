"""The SLA sweep's figures for /metrics: the last run's duration and counts, written by the sweep task
(`record_sweep`) into the shared cache, so whichever web process is scraped reports the run of whichever worker."""

import logging
import time
from collections.abc import Iterable

from django.core.cache import cache
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

CACHE_KEY = "metrics:sla_sweep:last"


def record_sweep(*, duration_seconds: float, counts: dict[str, int]) -> None:
    try:
        cache.set(CACHE_KEY, {"finished_at": time.time(), "duration_seconds": duration_seconds, "counts": counts}, None)
    except Exception:
        # The figure is for monitoring; a cache outage must not fail the sweep that already did its work.
        logger.warning("Could not record the SLA sweep's figures: the cache did not answer.")


class SweepCollector(Collector):
    def collect(self) -> Iterable[GaugeMetricFamily]:
        try:
            last = cache.get(CACHE_KEY)
        except Exception:
            logger.warning("SLA sweep figures unavailable: the cache did not answer.")
            return
        if not last:
            return
        yield GaugeMetricFamily(
            "aftersales_sla_sweep_last_duration_seconds",
            "How long the last SLA sweep took.",
            value=last["duration_seconds"],
        )
        yield GaugeMetricFamily(
            "aftersales_sla_sweep_last_finished_timestamp_seconds",
            "When the last SLA sweep finished (Unix time).",
            value=last["finished_at"],
        )
        alerts = GaugeMetricFamily(
            "aftersales_sla_sweep_last_alerts", "Alerts raised by the last SLA sweep, by kind.", labels=["kind"]
        )
        for kind, count in sorted(last["counts"].items()):
            alerts.add_metric([kind], count)
        yield alerts

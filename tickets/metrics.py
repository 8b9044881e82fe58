"""The ticket core's figures for /metrics (settings.METRICS_COLLECTORS), read at each scrape."""

import logging
from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from tickets.models import WebhookDelivery, WebhookStatus

logger = logging.getLogger(__name__)


class WebhookCollector(Collector):
    """Webhook deliveries pending and failed: two counts, each over its own partial index."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "aftersales_webhook_deliveries", "Webhook deliveries in the outbox by status.", labels=["status"]
        )
        try:
            for status in (WebhookStatus.PENDING, WebhookStatus.FAILED):
                gauge.add_metric([status.value], WebhookDelivery.objects.filter(status=status).count())
        except Exception:
            logger.warning("Webhook delivery counts unavailable: the database did not answer.")
            return
        yield gauge

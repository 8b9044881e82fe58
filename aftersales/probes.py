"""`/healthz`, `/readyz` and `/metrics` (operations.md, "Staying up").

They answer from a middleware near the top of the stack, before the Host check, the HTTPS redirect, sessions and
the signed-in user: a load balancer or Prometheus probes a machine by its address over plain HTTP, and a liveness
probe must not need the database. Neither health answer says more than the contract: no versions, no errors.
"""

import ipaddress
import logging
import os
from collections.abc import Callable, Iterable

import prometheus_client
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from aftersales.celery import app as celery_app

logger = logging.getLogger(__name__)

OK, DOWN = "ok", "down"
# How long the broker check may take; the database and the cache are bounded by their own settings
# (connect_timeout, socket timeouts).
BROKER_TIMEOUT_SECONDS = 2


def check_database() -> str:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return OK
    except Exception:
        # A kept connection that died with its server: drop it, so the next check (and request) connects anew.
        connection.close_if_unusable_or_obsolete()
        return DOWN


def check_broker() -> str:
    try:
        with celery_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
        return OK
    except Exception:
        return DOWN


def check_cache() -> str:
    try:
        cache.set("readyz", "1", 10)
        return OK if cache.get("readyz") == "1" else DOWN
    except Exception:
        return DOWN


def readiness() -> dict[str, str]:
    return {"database": check_database(), "broker": check_broker(), "cache": check_cache()}


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    parts = readiness()
    if all(state == OK for state in parts.values()):
        return JsonResponse({"status": "ok"})
    return JsonResponse({"status": "unavailable", **parts}, status=503)


# --- /metrics ---------------------------------------------------------------------------------------------------


def _queue_names() -> list[str]:
    names = {celery_app.conf.task_default_queue}
    names.update(queue.name for queue in celery_app.conf.task_queues or ())
    return sorted(names)


class QueueCollector(Collector):
    """Messages waiting in each Celery queue: the length of the queue's Redis list (kombu keeps one list per queue
    and priority step, `<queue>` and `<queue>\\x06\\x16<n>`). Nothing is reported for other brokers."""

    def collect(self) -> Iterable[GaugeMetricFamily]:
        if not str(celery_app.conf.broker_url).startswith(("redis://", "rediss://")):
            return
        gauge = GaugeMetricFamily(
            "aftersales_celery_queue_length", "Tasks waiting in a Celery queue (Redis list length).", labels=["queue"]
        )
        try:
            with celery_app.connection_for_read() as conn:
                client = conn.default_channel.client
                for name in _queue_names():
                    keys = [name, *(f"{name}\x06\x16{step}" for step in range(1, 10))]
                    with client.pipeline() as pipe:
                        for key in keys:
                            pipe.llen(key)
                        gauge.add_metric([name], sum(pipe.execute()))
        except Exception:
            logger.warning("Celery queue lengths unavailable: the broker did not answer.")
            return
        yield gauge


def _process_registry() -> prometheus_client.CollectorRegistry:
    """django-prometheus's request, latency and database figures: this process's, or every web process's when
    PROMETHEUS_MULTIPROC_DIR is set (several gunicorn workers, see the README)."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return prometheus_client.REGISTRY


def _scrape_registry() -> prometheus_client.CollectorRegistry:
    """The figures read at scrape time: queue lengths from Redis, each app's own (settings.METRICS_COLLECTORS)."""
    registry = prometheus_client.CollectorRegistry(auto_describe=False)
    registry.register(QueueCollector())
    for path in settings.METRICS_COLLECTORS:
        registry.register(import_string(path)())
    return registry


def _client_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer ") and constant_time_compare(header.removeprefix("Bearer ").strip(), token):
        return True
    if not settings.METRICS_ALLOWED_IPS:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    for allowed in settings.METRICS_ALLOWED_IPS:
        try:
            if address in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            continue
    return False


def metrics(request: HttpRequest) -> HttpResponse:
    """404 unless configured (METRICS_TOKEN or METRICS_ALLOWED_IPS) and unless the caller is one of those: the page
    does not even say that it exists."""
    if not (settings.METRICS_TOKEN or settings.METRICS_ALLOWED_IPS) or not _client_allowed(request):
        return HttpResponse("Not found.\n", status=404, content_type="text/plain")
    body = prometheus_client.generate_latest(_process_registry()) + prometheus_client.generate_latest(
        _scrape_registry()
    )
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {"/healthz": healthz, "/readyz": readyz, "/metrics": metrics}


class ProbeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        response = probe(request)
        response["Cache-Control"] = "no-store"
        return response

"""/healthz, /readyz and /metrics (operations.md, "Staying up"). The outages of real servers are in test_outages.py;
here a part is down because the settings point it at a closed port."""

import re
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from aftersales.celery import app as celery_app
from alerts.tasks import sweep_sla
from tests.conftest import closed_port
from tests.factories import make_ticket
from tickets.models import WebhookDelivery, WebhookStatus

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_without_a_login_and_says_nothing_more(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert not response.cookies


def test_readyz_is_ok_when_database_broker_and_cache_answer(client):
    response = client.get("/readyz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_names_the_broker_when_it_is_down(client, dead_broker):
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "down", "cache": "ok"}


def test_readyz_names_the_cache_when_it_is_down(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "ok", "cache": "down"}


def test_probes_answer_for_any_host_name_over_plain_http(client, settings):
    # A load balancer probes the machine by its address; the Host check and the HTTPS redirect come after the probes.
    settings.ALLOWED_HOSTS = ["desk.example.com"]
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz", HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/desk/", HTTP_HOST="10.0.0.7:8000").status_code == 400


# /metrics


def test_metrics_are_off_unless_configured(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", []

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything").status_code == 404


def test_metrics_need_the_token_or_an_allowed_address(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "s3cret-metrics-token", []

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-metrics-token").status_code == 200

    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS = "", ["10.1.0.0/16"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.2.0.1").status_code == 404


def _metrics(client) -> str:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def _value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.partition(" ")[0]))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} {labels} not in the metrics")


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = "scrape-token-for-tests"


def test_metrics_count_requests_by_view_and_status_and_database_queries(client, metrics_token, storefront_client):
    before = _metrics(client)
    requests_before = _value_or_zero(
        before, "django_http_responses_total_by_status_view_method_total", view="api-returns", status="200"
    )
    queries_before = _value(before, "django_db_execute_total", alias="default")

    assert storefront_client.get("/api/v1/returns/").status_code == 200
    assert storefront_client.get("/api/v1/returns/").status_code == 200

    after = _metrics(client)
    requests_after = _value(
        after, "django_http_responses_total_by_status_view_method_total", view="api-returns", status="200"
    )
    assert requests_after == requests_before + 2
    assert _value(after, "django_db_execute_total", alias="default") > queries_before
    assert _value(after, "django_http_requests_latency_seconds_by_view_method_count", view="api-returns") >= 2


def _value_or_zero(text: str, name: str, **labels: str) -> float:
    try:
        return _value(text, name, **labels)
    except AssertionError:
        return 0.0


def test_metrics_show_webhook_deliveries_pending_and_failed(client, metrics_token, storefront):
    now = timezone.now()
    for index, status in enumerate([WebhookStatus.PENDING, WebhookStatus.PENDING, WebhookStatus.FAILED]):
        WebhookDelivery.objects.create(
            storefront=storefront,
            event_id=f"msg_metrics_{index}",
            event_type="ticket.replied",
            payload={},
            status=status,
            next_attempt_at=now,
            give_up_at=now,
            created_at=now,
        )

    text = _metrics(client)

    assert _value(text, "aftersales_webhook_deliveries", status="pending") == 2
    assert _value(text, "aftersales_webhook_deliveries", status="failed") == 1


def test_metrics_show_the_celery_queue_length(client, metrics_token):
    client_redis = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = celery_app.conf.task_default_queue
    client_redis.delete(queue)
    saved_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        for _ in range(3):
            sweep_sla.apply_async()  # nobody consumes this queue in the test run

        assert _value(_metrics(client), "aftersales_celery_queue_length", queue=queue) == 3
    finally:
        celery_app.conf.task_always_eager = saved_eager
        client_redis.delete(queue)
        client_redis.close()


def test_metrics_show_the_last_sla_sweeps_duration_and_counts(client, metrics_token, storefront, agent):
    make_ticket(storefront, now=timezone.now() - timedelta(days=3))

    counts = sweep_sla.delay().get()

    text = _metrics(client)
    assert counts["breaches"] >= 1
    assert _value(text, "aftersales_sla_sweep_last_alerts", kind="breaches") == counts["breaches"]
    assert _value(text, "aftersales_sla_sweep_last_duration_seconds") > 0
    assert _value(text, "aftersales_sla_sweep_last_finished_timestamp_seconds") > timezone.now().timestamp() - 60

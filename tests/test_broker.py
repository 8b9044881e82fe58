"""Tasks published through kombu's Redis transport reach a real worker (the test suite's Redis, REDIS_URL)."""

import time
import uuid

import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from aftersales.celery import app as celery_app


@celery_app.task(name="tests.test_broker.remember")
def remember(key: str, value: str) -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set(key, value, ex=60)
    client.close()


def test_a_worker_runs_what_was_published_through_the_transport():
    # A real worker (in a thread) consuming through the same transport: what production's webhooks go through.
    queue, marker = f"test-worker-{uuid.uuid4().hex}", f"test-broker-ran-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(settings.REDIS_URL)
    saved_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with start_worker(celery_app, perform_ping_check=False, queues=[queue]):
            remember.apply_async((marker, "done"), queue=queue)
            remember.apply_async((marker + "-2", "done too"), queue=queue)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and client.get(marker + "-2") is None:
                time.sleep(0.1)
        assert (client.get(marker), client.get(marker + "-2")) == (b"done", b"done too")
    finally:
        celery_app.conf.task_always_eager = saved_eager
        client.delete(marker, marker + "-2", queue)
        client.close()

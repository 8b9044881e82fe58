"""aftersales.broker: tasks published through kombu's Redis transport with a kept client reach the queue (the test
suite's Redis, REDIS_URL)."""

import base64
import json
import time
import uuid

import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from aftersales.broker import Channel
from aftersales.celery import app as celery_app
from tickets.tasks import deliver_webhook


def _queued(client: redis.Redis, queue: str) -> list[tuple[str, list]]:
    # LPUSH puts the newest first; a worker takes from the other end
    messages = [json.loads(raw) for raw in reversed(client.lrange(queue, 0, -1))]
    return [(m["headers"]["task"], json.loads(base64.b64decode(m["body"]))[0]) for m in messages]


def test_every_published_task_reaches_the_queue_also_after_the_pool_is_renewed():
    queue = f"test-broker-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(settings.REDIS_URL)
    saved_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with celery_app.connection_for_write() as connection:
            channel = connection.default_channel
            assert isinstance(channel, Channel)
            with celery_app.producer_or_acquire() as producer:
                deliver_webhook.apply_async((1,), queue=queue, producer=producer)
                deliver_webhook.apply_async((2,), queue=queue, producer=producer)
            # the channel's pool renewed (as kombu does after a connection error): the kept client follows it
            channel._pool = None
            with connection.Producer() as producer:
                deliver_webhook.apply_async((3,), queue=queue, producer=producer)
            assert channel._kept_client.connection_pool is channel.pool
        assert _queued(client, queue) == [("tickets.tasks.deliver_webhook", [n]) for n in (1, 2, 3)]
    finally:
        celery_app.conf.task_always_eager = saved_eager
        client.delete(queue)
        client.close()


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

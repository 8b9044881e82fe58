"""Shared fixtures: teams, staff per role, storefronts with keys, API clients per role and storefront.

Celery runs eagerly (tasks run in-process at enqueue time, after commit); e-mail goes to locmem (pytest-django).
"""

import socket
from pathlib import Path

import kombu.pools
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from aftersales.celery import app as celery_app
from tests.factories import StorefrontFactory, TeamFactory, make_staff
from tickets.models import Team


@pytest.fixture(autouse=True, scope="session")
def _static_root() -> None:
    # WhiteNoise serves STATIC_ROOT, which `collectstatic` fills on a deploy, and warns for every request handler
    # built while it is missing (each test client builds one); with DEBUG the tests are served through the finders.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _eager_celery(settings, tmp_path):
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = tmp_path / "media"
    yield


@pytest.fixture(autouse=True)
def _default_language():
    # A request through the test client leaves its language active in the thread (LocaleMiddleware activates, nothing
    # deactivates); each test starts, as a worker does, in the installation's language.
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def team(db) -> Team:
    return TeamFactory(name="Customer service", is_default=True)


@pytest.fixture
def other_team(db) -> Team:
    return TeamFactory(name="Logistics")


@pytest.fixture
def agent(team):
    return make_staff("agent", "agent", teams=(team,), first_name="Ann", last_name="Agent")


@pytest.fixture
def other_agent(other_team):
    return make_staff("other-agent", "agent", teams=(other_team,))


@pytest.fixture
def supervisor(team):
    return make_staff("supervisor", "supervisor", teams=(team,))


@pytest.fixture
def finance_user(db):
    return make_staff("finance", "finance")


@pytest.fixture
def storefront(db):
    return StorefrontFactory(name="Acme Shop")


@pytest.fixture
def other_storefront(db):
    return StorefrontFactory(name="Other Shop")


def _api_client(header: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client


@pytest.fixture
def storefront_client(storefront) -> APIClient:
    return _api_client(f"Api-Key {storefront.plain_key}")


@pytest.fixture
def other_storefront_client(other_storefront) -> APIClient:
    return _api_client(f"Api-Key {other_storefront.plain_key}")


@pytest.fixture
def agent_api(agent) -> APIClient:
    return _api_client(f"Token {agent.token}")


@pytest.fixture
def supervisor_api(supervisor) -> APIClient:
    return _api_client(f"Token {supervisor.token}")


@pytest.fixture
def agent_desk(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def supervisor_desk(client, supervisor):
    client.force_login(supervisor)
    return client


@pytest.fixture
def webhook_receiver():
    """A real HTTP server on 127.0.0.1 in a thread: `.url`, `.requests`, `.respond_with(status)`, `.wait_for(n)`."""
    from tests.receiver import WebhookReceiver

    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


def closed_port() -> int:
    """A local port nothing listens on: a receiver or a broker that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _reset_producer_pool() -> None:
    # kombu keeps producer pools in a global registry keyed by broker URL: clear it too, or a pool closed here is
    # handed out again once the URL is restored ("Acquire on closed pool" in the next test that sends webhooks).
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu.pools.reset()


@pytest.fixture
def dead_broker():
    """Celery pointed at a closed port with eager mode off (Redis down); both restored afterwards."""
    saved_url, saved_eager = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    _reset_producer_pool()
    celery_app.conf.broker_url = f"redis://127.0.0.1:{closed_port()}/0"
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.broker_url = saved_url
    celery_app.conf.task_always_eager = saved_eager
    _reset_producer_pool()


@pytest.fixture
def seeded_sla_policy(db):
    """The "Standard" SLA policy as migration 0003 seeds it, for transactional tests that run after the browser
    tests. serialized_rollback does not bring it back there: the first browser test starts Playwright's event loop in
    the main thread, Django's connections are looked up per context (asgiref Local), and later tests get a fresh
    DatabaseWrapper without the serialized contents, so the restore is skipped without a word. (Re-attaching the
    contents makes the restore run, but it then collides with the content types the flush's post_migrate recreated.)
    """
    import importlib

    from django.apps import apps

    importlib.import_module("tickets.migrations.0003_seed_standard_sla").seed(apps, None)


@pytest.fixture
def no_example_rules(db):
    """Without the inactive example rules migration 0063 ships, for tests that count rules."""
    from tickets.models import TimeRule, Trigger

    Trigger.objects.all().delete()
    TimeRule.objects.all().delete()

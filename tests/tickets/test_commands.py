from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tickets.models import (
    ApiKey,
    CannedResponse,
    MessageKind,
    RoutingRule,
    Status,
    Storefront,
    Team,
    Ticket,
    TicketEvent,
)
from tickets.roles import is_agent, is_finance, is_supervisor

pytestmark = pytest.mark.django_db


def run(*args: str, **options: object) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue().rstrip("\n").splitlines()


def _api_get(header: str, path: str = "/api/v1/tickets/00000000-0000-0000-0000-000000000000/") -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    return client.get(path).status_code


def test_create_storefront_prints_a_working_key_on_its_last_line():
    lines = run("create_storefront", "Tmall flagship", "--webhook-url", "https://shop.example.com/hooks")

    key = lines[-1]
    storefront = Storefront.objects.get(name="Tmall flagship")
    assert storefront.webhook_url == "https://shop.example.com/hooks"
    assert storefront.webhook_secret.startswith("whsec_")
    assert " " not in key and len(key) > 30
    # the key authenticates (an unknown ticket is then a 404, not a 401)
    assert _api_get(f"Api-Key {key}") == 404
    assert _api_get("Api-Key not-a-key") == 401
    assert key not in ApiKey.objects.get(storefront=storefront).hashed_key


def test_create_storefront_refuses_a_duplicate_name_and_a_bad_url():
    run("create_storefront", "Shop A")

    with pytest.raises(CommandError, match="already exists"):
        run("create_storefront", "Shop A")
    with pytest.raises(CommandError, match="not an http"):
        run("create_storefront", "Shop B", "--webhook-url", "ftp://example.com")
    assert Storefront.objects.count() == 1


def test_create_api_key_adds_a_second_key_by_storefront_name():
    first = run("create_storefront", "Shop A")[-1]

    second = run("create_api_key", "Shop A")[-1]

    assert second != first
    assert ApiKey.objects.filter(storefront__name="Shop A").count() == 2
    assert _api_get(f"Api-Key {first}") == 404
    assert _api_get(f"Api-Key {second}") == 404


def test_create_api_key_for_an_unknown_storefront_says_so():
    with pytest.raises(CommandError, match="No storefront named 'Nope'"):
        run("create_api_key", "Nope")


@pytest.mark.parametrize(
    ("role", "check"), [("agent", is_agent), ("supervisor", is_supervisor), ("finance", is_finance)]
)
def test_create_staff_prints_a_working_token(role, check):
    team = Team.objects.create(name="Logistics", name_zh="物流")

    token = run("create_staff", "mei", "--role", role, "--team", "物流", "--password", "s3cret-pass")[-1]

    user = get_user_model().objects.get(username="mei")
    assert check(user)
    assert user.check_password("s3cret-pass")
    assert list(user.teams.all()) == [team]
    assert _api_get(f"Token {token}", "/api/v1/desk/tickets/") in (200, 403)
    assert _api_get("Token wrong") == 401


def test_create_staff_refuses_an_unknown_role_or_team_and_creates_nothing():
    Team.objects.create(name="Logistics")

    with pytest.raises(CommandError, match="Unknown role 'boss'"):
        run("create_staff", "mei", "--role", "boss")
    with pytest.raises(CommandError, match="No team named 'Sales'.*Logistics"):
        run("create_staff", "mei", "--role", "agent", "--team", "Sales")
    assert not get_user_model().objects.filter(username="mei").exists()


def test_create_staff_refuses_an_existing_username():
    run("create_staff", "mei", "--role", "agent")

    with pytest.raises(CommandError, match="already exists"):
        run("create_staff", "mei", "--role", "finance")


@pytest.fixture
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


def test_seed_demo_fills_an_empty_database(var_dir, client):
    lines = run("seed_demo", "--if-empty")

    # the six teams with Chinese names, one default, routing rules and canned responses with placeholders
    teams = Team.objects.all()
    assert teams.count() == 6 and all(team.name_zh for team in teams)
    assert teams.filter(is_default=True).count() == 1
    assert RoutingRule.objects.count() >= 3
    assert all("{customer_name}" in body for body in CannedResponse.objects.values_list("body", flat=True))
    # every role signs in on the sign-in page with the demo password
    for username in ("agent", "agent2", "supervisor", "finance", "admin"):
        response = client.post("/accounts/login/", {"username": username, "password": "desk-demo-2026"})
        assert response.status_code == 302 and response["Location"] == "/desk/", username
        client.logout()
    assert get_user_model().objects.get(username="admin").is_superuser
    # the storefront without a webhook, its key printed last and written to var/
    storefront = Storefront.objects.get(name="Demo Shop")
    assert storefront.webhook_url == ""
    key = lines[-1]
    assert (var_dir / "demo-api-key.txt").read_text().strip() == key
    assert _api_get(f"Api-Key {key}") == 404
    # the URL and the logins are printed
    text = "\n".join(lines)
    assert "http://127.0.0.1:8000/" in text
    assert all(name in text for name in ("agent2", "supervisor", "finance", "admin", "desk-demo-2026"))


def test_seed_demo_tickets_cover_the_states_with_conversations(var_dir):
    run("seed_demo")

    tickets = Ticket.objects.all()
    assert 15 <= tickets.count() <= 30
    statuses = set(tickets.values_list("status", flat=True))
    assert statuses == {Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED}
    kinds = set(Ticket.objects.values_list("messages__kind", flat=True))
    assert {MessageKind.CUSTOMER, MessageKind.PUBLIC, MessageKind.INTERNAL} <= kinds
    assert tickets.filter(assignee__isnull=False).exists() and tickets.filter(assignee__isnull=True).exists()
    # made through the services: every ticket has its creation event and its SLA clocks
    assert TicketEvent.objects.filter(kind="created").count() == tickets.count()
    assert all(ticket.clocks.exists() for ticket in tickets)


def test_seed_demo_if_empty_leaves_a_seeded_database_alone(var_dir):
    run("seed_demo", "--if-empty")
    counts = (Ticket.objects.count(), get_user_model().objects.count())

    lines = run("seed_demo", "--if-empty")

    assert (Ticket.objects.count(), get_user_model().objects.count()) == counts
    assert "no demo data added" in lines[0]
    assert "http://127.0.0.1:8000/" in "\n".join(lines)
    assert lines[-1] == (var_dir / "demo-api-key.txt").read_text().strip()


def test_seed_demo_refuses_a_database_with_data_unless_asked_to_skip(var_dir):
    run("create_storefront", "Real shop")

    with pytest.raises(CommandError, match="not empty"):
        run("seed_demo")
    assert run("seed_demo", "--if-empty")[0].startswith("The database already has data")
    assert not Ticket.objects.exists()

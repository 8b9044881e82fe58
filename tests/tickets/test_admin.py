import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import CustomerFactory, make_staff, make_ticket
from tests.receiver import verify_signature
from tickets import services
from tickets.models import (
    ApiKey,
    CannedResponse,
    Customer,
    RoutingRule,
    StaffProfile,
    Storefront,
    Team,
    Ticket,
    TicketEvent,
    WebhookDelivery,
    WebhookStatus,
)

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pass-1234")
    client.force_login(user)
    return client


def _changelist(model: type) -> str:
    return reverse(f"admin:tickets_{model._meta.model_name}_changelist")


def _change(obj: object) -> str:
    return reverse(f"admin:tickets_{obj._meta.model_name}_change", args=[obj.pk])


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _works(key: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client.get("/api/v1/tickets/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_creating_a_storefront_in_the_admin_makes_a_secret_and_shows_its_key_once(admin_client):
    response = admin_client.post(
        reverse("admin:tickets_storefront_add"),
        {"name": "JD shop", "webhook_url": "https://jd.example.com/hooks", "language": "zh-hans"},
        follow=True,
    )

    assert response.status_code == 200
    storefront = Storefront.objects.get(name="JD shop")
    assert storefront.webhook_secret.startswith("whsec_")
    (shown,) = [m for m in _messages(response) if "shown only this once" in m]
    key = shown.rsplit(" ", 1)[-1]
    assert _works(key)
    assert ApiKey.objects.filter(storefront=storefront).count() == 1
    # the secret is shown read-only on the storefront's page
    page = admin_client.get(_change(storefront))
    assert storefront.webhook_secret in page.content.decode()
    assert 'name="webhook_secret"' not in page.content.decode()


def test_a_duplicate_storefront_name_is_a_form_error(admin_client, storefront):
    response = admin_client.post(
        reverse("admin:tickets_storefront_add"), {"name": storefront.name, "webhook_url": "", "language": "en"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"]
    assert Storefront.objects.filter(name=storefront.name).count() == 1


def test_the_storefront_action_creates_a_key_and_the_key_action_revokes_it(admin_client, storefront):
    response = admin_client.post(
        _changelist(Storefront), {"action": "create_api_key", "_selected_action": [storefront.pk]}, follow=True
    )
    key = next(m for m in _messages(response) if "shown only this once" in m).rsplit(" ", 1)[-1]
    assert _works(key)

    api_key = ApiKey.objects.get(prefix=key.split(".")[0])
    admin_client.post(_changelist(ApiKey), {"action": "revoke", "_selected_action": [api_key.pk]}, follow=True)

    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert not _works(key)
    assert _works(storefront.plain_key)  # the other key still works


def test_keys_cannot_be_added_or_deleted_in_the_admin(admin_client, storefront):
    api_key = ApiKey.objects.get(storefront=storefront)

    assert admin_client.get(reverse("admin:tickets_apikey_add")).status_code == 403
    assert admin_client.get(reverse("admin:tickets_apikey_delete", args=[api_key.pk])).status_code == 403
    page = admin_client.get(_change(api_key)).content.decode()
    assert 'name="prefix"' not in page and 'name="hashed_key"' not in page
    assert api_key.hashed_key not in page


@pytest.mark.parametrize(
    "model", [Storefront, ApiKey, Team, StaffProfile, CannedResponse, RoutingRule, Customer, Ticket, TicketEvent]
)
def test_every_changelist_opens(admin_client, model, agent, storefront):
    make_ticket(storefront)

    assert admin_client.get(_changelist(model)).status_code == 200


def test_settings_like_models_are_editable(admin_client, team, agent):
    response = admin_client.post(
        reverse("admin:tickets_cannedresponse_add"),
        {"title": "Apology", "team": team.pk, "body": "Sorry {customer_name}", "is_active": "on"},
    )
    assert response.status_code == 302
    assert CannedResponse.objects.get(title="Apology").team == team

    response = admin_client.post(
        reverse("admin:tickets_routingrule_add"),
        {"position": 5, "category": "logistics", "team": team.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    assert RoutingRule.objects.get(position=5).category == "logistics"


def test_a_second_default_team_is_refused(admin_client, team):
    response = admin_client.post(reverse("admin:tickets_team_add"), {"name": "Product", "is_default": "on"})

    assert response.status_code == 200
    assert not Team.objects.filter(name="Product").exists()


def test_tickets_are_read_only_in_the_admin(admin_client, storefront):
    ticket = make_ticket(storefront)

    page = admin_client.get(_change(ticket))
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    assert admin_client.get(reverse("admin:tickets_ticket_add")).status_code == 403
    assert admin_client.get(reverse("admin:tickets_ticket_delete", args=[ticket.pk])).status_code == 403
    response = admin_client.post(_change(ticket), {"status": "closed", "subject": "changed"})
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert (ticket.status, ticket.subject) != ("closed", "changed")
    assert admin_client.get(_change(TicketEvent.objects.filter(ticket=ticket).first())).status_code == 200


def test_customer_text_is_escaped_in_the_admin(admin_client, storefront, webhook_receiver, agent):
    storefront.webhook_url = webhook_receiver.url
    storefront.save()
    customer = CustomerFactory(storefront=storefront, name=f"Eve {SCRIPT}")
    ticket = make_ticket(storefront, subject=f"Help {SCRIPT}", body=f"Body {SCRIPT}", customer=customer)
    services.ticket_reply(ticket=ticket, user=agent, body=f"Quoting you: {SCRIPT}")
    delivery = WebhookDelivery.objects.get()

    pages = [
        _changelist(Ticket),
        _change(ticket),
        _changelist(Customer),
        _change(customer),
        _change(delivery),
        _changelist(Ticket) + "?q=Help",
    ]
    for url in pages:
        html = admin_client.get(url).content.decode()
        assert SCRIPT not in html, url
        assert "&lt;script&gt;" in html, url


def test_deliveries_filter_by_status_and_event(admin_client, storefront):
    storefront.webhook_url = "http://127.0.0.1:9/"
    storefront.save()
    services.webhook_enqueue(storefront=storefront, event_type="ticket.replied", data={})
    failed = services.webhook_enqueue(storefront=storefront, event_type="ticket.resolved", data={})
    WebhookDelivery.objects.filter(pk=failed.pk).update(status=WebhookStatus.FAILED)

    by_status = admin_client.get(_changelist(WebhookDelivery) + "?status__exact=failed")
    by_event = admin_client.get(_changelist(WebhookDelivery) + "?event_type=ticket.replied")

    assert [d.pk for d in by_status.context["cl"].result_list] == [failed.pk]
    assert [d.event_type for d in by_event.context["cl"].result_list] == ["ticket.replied"]
    assert admin_client.get(reverse("admin:tickets_webhookdelivery_add")).status_code == 403


def test_resend_from_the_admin_delivers_a_failed_webhook(
    admin_client, storefront, webhook_receiver, django_capture_on_commit_callbacks
):
    # given a delivery that was given up while the storefront was down
    storefront.webhook_url = webhook_receiver.url
    storefront.save()
    delivery = services.webhook_enqueue(storefront=storefront, event_type="ticket.replied", data={"x": 1})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookStatus.FAILED, attempts=19)

    # when a supervisor resends it from the delivery log
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            _changelist(WebhookDelivery), {"action": "resend", "_selected_action": [delivery.pk]}, follow=True
        )

    # then the storefront receives it, signed, and the log shows it delivered
    assert any("sent again" in m for m in _messages(response))
    (request,) = webhook_receiver.wait_for(1)
    assert request.headers["webhook-id"] == delivery.event_id
    assert verify_signature(storefront.webhook_secret, request)
    delivery.refresh_from_db()
    assert delivery.status == WebhookStatus.DELIVERED


def test_a_supervisor_may_use_the_admin_and_an_agent_may_not(client, team, agent):
    supervisor = make_staff("boss", "supervisor", teams=(team,))

    client.force_login(agent)
    assert client.get(_changelist(Ticket)).status_code == 302  # to the admin login

    client.force_login(supervisor)
    assert client.get(_changelist(RoutingRule)).status_code == 200
    assert client.get(_changelist(WebhookDelivery)).status_code == 200
    assert client.get(reverse("admin:tickets_ticket_add")).status_code == 403


def test_the_ticket_list_runs_a_fixed_number_of_queries(admin_client, storefront, django_assert_max_num_queries):
    for n in range(30):
        make_ticket(storefront, subject=f"Ticket {n}")

    with django_assert_max_num_queries(8):
        response = admin_client.get(_changelist(Ticket))
    assert response.status_code == 200
    assert Ticket.objects.count() == 30

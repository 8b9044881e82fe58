import pytest

from tests.factories import make_ticket
from tests.receiver import verify_signature
from tickets import services
from tickets.models import WebhookDelivery, WebhookStatus

pytestmark = pytest.mark.django_db


def test_a_reply_reaches_the_storefront_signed_with_its_secret(
    storefront, agent, webhook_receiver, django_capture_on_commit_callbacks
):
    # given a storefront whose webhook URL is the local receiver
    storefront.webhook_url = webhook_receiver.url
    storefront.save()
    ticket = make_ticket(storefront)

    # when an agent replies publicly
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=ticket, user=agent, body="On its way.")

    # then the storefront gets a ticket.replied event it can verify with its secret
    replied = [r for r in webhook_receiver.wait_for(1) if r.json["type"] == "ticket.replied"]
    assert len(replied) == 1
    assert verify_signature(storefront.webhook_secret, replied[0], tolerance_seconds=300)
    assert set(replied[0].json) == {"type", "id", "created_at", "data"}
    assert WebhookDelivery.objects.get(event_type="ticket.replied").status == WebhookStatus.DELIVERED

"""The agent desk in the browser: what an agent sees and can do on the queue and ticket pages."""

import pytest
from django.urls import reverse

from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def test_queue_requires_login(client):
    # when an anonymous visitor opens the desk
    response = client.get("/desk/")
    # then they are sent to the login page
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_smoke_queue_and_ticket_render(agent_desk, storefront, team, agent):
    ticket = make_ticket(storefront, subject="Broken kettle")
    response = agent_desk.get("/desk/?scope=team")
    assert response.status_code == 200
    assert "Broken kettle" in response.content.decode()
    response = agent_desk.get(reverse("tickets:ticket", args=[ticket.reference]))
    assert response.status_code == 200
    assert "Broken kettle" in response.content.decode()

"""Every page carries a Content-Security-Policy that allows no inline script (script-src 'self' only) and a
Permissions-Policy; and no page's HTML has an inline script or event handler that such a policy would block."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from complaints import services as complaint_services
from tests.factories import CustomerFactory, make_ticket
from tests.returns.conftest import make_return
from tickets import services
from tickets.models import Status, Survey

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def policy(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.fixture
def pages(storefront, team, supervisor, finance_user):
    """(who, path) for every kind of page: desk, dashboards, reports, admin, sign-in, survey, API docs."""
    ticket = make_ticket(storefront, customer=CustomerFactory(storefront=storefront))
    resolved = make_ticket(storefront, customer=CustomerFactory(storefront=storefront, email="c@example.com"))
    services.ticket_change_status(ticket=resolved, status=Status.RESOLVED, user=supervisor)
    survey = Survey.objects.get(ticket=resolved)
    returned = make_return(storefront)
    complaint = complaint_services.complaint_create(
        storefront=storefront, category="service", body="Rude.", customer=CustomerFactory(storefront=storefront)
    )
    admin_user = get_user_model().objects.create_superuser("root", "root@example.com", "root-pass-2026")
    return [
        (None, "/accounts/login/"),
        (None, "/admin/login/"),
        (None, reverse("survey", args=[survey.token])),
        (None, "/api/docs/"),
        (None, "/api/docs/?script="),
        (supervisor, "/desk/"),
        (supervisor, f"/desk/tickets/{ticket.reference}/"),
        (supervisor, f"/desk/tickets/{returned.ticket.reference}/"),
        (supervisor, "/desk/returns/"),
        (finance_user, "/desk/refunds/"),
        (supervisor, "/desk/complaints/"),
        (supervisor, f"/desk/tickets/{complaint.ticket.reference}/"),
        (supervisor, "/alerts/"),
        (supervisor, "/alerts/notifications/"),
        (supervisor, "/reports/"),
        (supervisor, "/reports/complaints/"),
        (supervisor, "/desk/preferences/"),
        (supervisor, "/accounts/2fa/setup/"),
        (supervisor, "/desk/sign-in-locks/"),
        (admin_user, "/admin/"),
        (admin_user, "/admin/tickets/ticket/"),
        (admin_user, f"/admin/tickets/ticket/{ticket.pk}/change/"),
        (admin_user, "/admin/tickets/stafftoken/"),
        (admin_user, "/admin/axes/accessattempt/"),
    ]


def test_every_page_sends_a_csp_without_inline_script_and_a_permissions_policy(pages):
    for user, path in pages:
        client = Client()
        if user is not None:
            client.force_login(user)
        response = client.get(path)
        assert response.status_code == 200, path

        csp = policy(response["Content-Security-Policy"])
        assert csp["script-src"] == ["'self'"], path
        assert csp["default-src"] == ["'self'"], path
        assert csp["object-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"], path
        assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]

        if response["Content-Type"].startswith("text/html"):
            html = response.content.decode()
            assert not INLINE_SCRIPT.search(html), (path, INLINE_SCRIPT.search(html).group(0))
            assert not EVENT_HANDLER.search(html), (path, EVENT_HANDLER.search(html).group(0))
            assert not JS_URL.search(html), path


def test_api_answers_and_errors_carry_the_policy_too(storefront_client):
    for response in (storefront_client.get("/api/v1/tickets/"), Client().get("/no-such-page/")):
        assert policy(response["Content-Security-Policy"])["script-src"] == ["'self'"]
        assert "Permissions-Policy" in response


def test_the_lockout_page_carries_the_policy(agent):
    client = Client()
    for n in range(10):
        response = client.post("/accounts/login/", {"username": "agent", "password": f"wrong-{n}"})
    assert response.status_code == 429
    assert policy(response["Content-Security-Policy"])["script-src"] == ["'self'"]


def test_the_ticket_page_keeps_its_htmx_without_eval(agent_desk, storefront, team):
    ticket = make_ticket(storefront)
    html = agent_desk.get(f"/desk/tickets/{ticket.reference}/").content.decode()
    assert '"allowEval": false' in html and '"includeIndicatorStyles": false' in html

"""A Chinese-speaking agent's ticket page in Chromium: the SLA countdown, rewritten every second by static/js/sla.js,
says its units in Chinese (from the JavaScript catalog at /jsi18n/), under the page's Content-Security-Policy."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.e2e.conftest import login
from tests.factories import STAFF_PASSWORD, make_staff, make_ticket
from tickets import services
from tickets.models import SlaPolicy

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_countdown_speaks_chinese_to_a_chinese_agent(page: Page, live_server, storefront, team):
    SlaPolicy.objects.get_or_create(
        name="Standard", defaults={"acknowledgement_minutes": 1440, "response_minutes": 120, "resolution_minutes": 1440}
    )
    agent = make_staff("agent", "agent", teams=(team,))
    services.staff_set_preferences(user=agent, language="zh-hans")
    overdue = make_ticket(storefront, subject="水壶漏水", now=timezone.now() - timedelta(days=1, hours=8))

    login(page, live_server, "agent", STAFF_PASSWORD)
    page.goto(f"{live_server.url}/desk/tickets/{overdue.reference}/")
    countdowns = page.locator("[data-countdown]")
    expect(countdowns.first).to_be_visible()
    # the script has rewritten them (the server's text says no seconds), in Chinese units
    expect(countdowns.first).to_have_text(re.compile(r"(天|小时|分|秒)"))
    page.wait_for_timeout(1500)
    texts = countdowns.all_inner_texts()
    assert texts and all(not re.search(r"\b(d|h|min|s)\b", text) for text in texts), texts
    assert any(re.search(r"\d+ 天 \d+ 小时", text) for text in texts), texts

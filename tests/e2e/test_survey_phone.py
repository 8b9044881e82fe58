"""A customer answers the satisfaction survey on a phone-sized screen (375 x 667, touch)."""

from collections.abc import Iterator

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import TIMEOUT_MS
from tests.factories import CustomerFactory, StorefrontFactory, make_staff, make_ticket
from tickets import services
from tickets.models import EventKind, Status, Survey, TicketEvent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True, locale="en-US", timezone_id="UTC"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def test_a_customer_answers_the_survey_on_a_phone(live_server, phone: Page):
    # given a ticket an agent resolved, whose survey link the customer got
    storefront = StorefrontFactory(name="Phone Shop", language="en")
    agent = make_staff("survey-agent", "agent")
    ticket = make_ticket(storefront, customer=CustomerFactory(storefront=storefront, email="c@example.com"))
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, user=agent)
    survey = Survey.objects.get(ticket=ticket)

    # when they open it on their phone
    link = live_server.url + reverse("survey", args=[survey.token])
    phone.goto(link)
    expect(phone.get_by_role("heading", name="How did we do?")).to_be_visible()

    # then it fits the screen: no sideways scrolling, score buttons big enough for a thumb
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    overall = phone.get_by_role("group", name="Overall satisfaction")
    box = overall.locator("label.score").first.bounding_box()
    assert box is not None and box["width"] >= 44 and box["height"] >= 44

    # and the language switch works without signing in
    phone.get_by_role("link", name="中文").tap()
    expect(phone.locator("html")).to_have_attribute("lang", "zh-hans")
    phone.get_by_role("link", name="EN").tap()
    expect(phone.locator("html")).to_have_attribute("lang", "en")

    # when they send without the overall score, the error names it
    phone.get_by_role("button", name="Send my answers").tap()
    expect(phone.get_by_role("alert")).to_contain_text("Overall satisfaction")

    # and then tap 5 overall, 4 for attitude, write a comment and send
    phone.get_by_role("group", name="Overall satisfaction").locator("label.score", has_text="5").tap()
    phone.get_by_role("group", name="Service attitude").locator("label.score", has_text="4").tap()
    phone.get_by_label("Anything else you would like to tell us?").fill("Fast refund, thanks!")
    phone.get_by_role("button", name="Send my answers").tap()

    # then they are thanked, and the answer is on the ticket
    expect(phone.get_by_role("heading", name="Thank you!")).to_be_visible()
    survey.refresh_from_db()
    assert (survey.overall, survey.attitude, survey.comment) == (5, 4, "Fast refund, thanks!")
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SURVEY_ANSWERED).exists()

    # and opening the link again says, politely, that it was already answered
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Already answered")).to_be_visible()

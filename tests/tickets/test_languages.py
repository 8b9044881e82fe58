"""Canned responses in the customer's language, the searchable time-zone picker, the browser scripts' catalog."""

import json

import pytest
from django.urls import reverse

from tests.factories import CannedResponseFactory, CustomerFactory, make_ticket
from tickets import services
from tickets.models import StaffProfile

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "language, body_zh, expected",
    [
        ("zh-hans", "您好 {customer_name}，关于 {reference}。", "您好 李雷，关于 {ref}。"),
        ("en", "您好 {customer_name}，关于 {reference}。", "Hello 李雷, about {ref}."),
        ("zh-hans", "", "Hello 李雷, about {ref}."),  # no Chinese text written: the English one
    ],
)
def test_a_canned_response_speaks_the_customers_language(
    agent_desk, storefront, agent, team, language, body_zh, expected
):
    # Given a storefront whose customers write in `language`, and a canned response in both languages
    storefront.language = language
    storefront.save()
    ticket = make_ticket(storefront, customer=CustomerFactory(storefront=storefront, name="李雷"))
    canned = CannedResponseFactory(team=team, body="Hello {customer_name}, about {reference}.", body_zh=body_zh)
    # When the agent (working in English) inserts it
    response = agent_desk.get(
        reverse("tickets:canned_insert", args=[ticket.reference]), {"canned": canned.pk}, headers={"HX-Request": "true"}
    )
    # Then the reply box holds the text in the customer's language
    assert expected.format(ref=ticket.reference) in response.content.decode()


def test_the_desk_api_lists_both_texts(agent_api, team):
    CannedResponseFactory(team=team, body="Hello", body_zh="您好")
    rows = agent_api.get("/api/v1/desk/canned-responses/").json()["results"]
    assert (rows[0]["body"], rows[0]["body_zh"]) == ("Hello", "您好")


def test_the_time_zone_is_picked_from_a_searchable_list(agent_desk, agent):
    page = agent_desk.get(reverse("tickets:preferences")).content.decode()
    assert 'list="time-zones"' in page and '<datalist id="time-zones">' in page
    assert '<option value="Asia/Shanghai">' in page and '<option value="Europe/Paris">' in page
    saved = agent_desk.post(
        reverse("tickets:preferences"), {"language": "en", "time_zone": "Europe/Paris", "is_available": "on"}
    )
    assert saved.status_code == 302
    assert StaffProfile.objects.get(user=agent).time_zone == "Europe/Paris"


def test_an_unknown_time_zone_is_refused_beside_the_field(agent_desk, agent):
    services.staff_set_preferences(user=agent, time_zone="Asia/Shanghai")
    refused = agent_desk.post(reverse("tickets:preferences"), {"language": "en", "time_zone": "Mars/Olympus"})
    assert refused.status_code == 200
    assert "Unknown time zone Mars/Olympus" in refused.content.decode()
    assert StaffProfile.objects.get(user=agent).time_zone == "Asia/Shanghai"


def test_the_scripts_catalog_is_served_in_the_users_language(agent_desk, agent):
    services.staff_set_preferences(user=agent, language="zh-hans")
    catalog = agent_desk.get("/jsi18n/")
    assert catalog.status_code == 200 and catalog["Content-Type"].startswith("text/javascript")
    # the countdown's units map to their Chinese (the catalog is JSON: non-ASCII written as \\u escapes)
    units = f"{json.dumps('%(minutes)s min %(seconds)s s')}: {json.dumps('%(minutes)s 分 %(seconds)s 秒')}"
    assert units in catalog.content.decode()
    # and back in English, the catalog no longer carries them
    services.staff_set_preferences(user=agent, language="en")
    assert units not in agent_desk.get("/jsi18n/").content.decode()

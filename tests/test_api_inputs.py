"""What the API takes, across every app: JSON bodies only (multipart/form-data only where files travel), no field it
cannot read, JSON types, amounts and times exactly as the schema spells them, query parameters validated as given,
and a cursor it did not make refused as bad input. Each refusal is 400 (415 for the content type) in the error
format, naming what was wrong, with nothing written."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from returns import services as return_services
from returns.models import Refund, ReturnRequest
from tests.factories import CannedResponseFactory, make_ticket
from tests.returns.conftest import make_return, return_body
from tickets.models import Message, SalesStat, Ticket

pytestmark = pytest.mark.django_db

TICKET = {"subject": "Kettle leaks", "body": "It leaks.", "customer": {"external_id": "C-9", "name": "Li Lei"}}


def assert_error(response, status_code: int, type_: str, field: str | None = None) -> dict:
    assert response.status_code == status_code, response.content
    body = response.json()
    assert body["type"] == type_ and body["detail"], body
    if field is not None:
        assert field in body["errors"], body
    return body


# --- Content types ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (
            "multipart/form-data; boundary=xyz",
            b'--xyz\r\nContent-Disposition: form-data; name="subject"\r\n\r\nHi\r\n--xyz--',
        ),
        ("application/x-www-form-urlencoded", b"subject=Hi&body=Hello&customer=C-9"),
        ("text/plain", b'{"subject": "Hi", "body": "Hello"}'),
        ("", b'{"subject": "Hi", "body": "Hello"}'),
    ],
)
def test_a_body_that_is_not_json_is_415_and_creates_nothing(storefront_client, team, content_type, body):
    response = storefront_client.generic("POST", "/api/v1/tickets/", body, content_type=content_type)
    assert_error(response, 415, "unsupported_media_type")
    assert not Ticket.objects.exists()


def test_a_desk_refund_with_an_unparseable_multipart_body_creates_no_refund(storefront, agent, agent_api):
    # given a return with 99.00 still to refund (its first refund lowered by a damage deduction)
    return_request = make_return(storefront, bought=1, delivered=timezone.now() - timedelta(days=2))
    return_services.return_ship(
        return_request=return_request, storefront=storefront, carrier="SF", tracking_number="SF1"
    )
    return_services.return_receive(return_request=return_request, user=agent)
    return_services.return_inspect(return_request=return_request, user=agent, passed=True)
    refund = Refund.objects.get(return_request=return_request)
    return_services.refund_lower(refund=refund, user=agent, amount=Decimal("100.00"), reason="Scratched.")
    url = f"/api/v1/desk/returns/{return_request.reference}/refund/"
    # when the refund action gets a multipart body it cannot read (the amount lost on the way)
    garbage = b"--xyz\r\nContent-Disposition: form-data; name=amount\r\n\r\n5.00"
    response = agent_api.generic("POST", url, garbage, content_type="multipart/form-data; boundary=xyz")
    # then it is refused, and no refund of the whole remainder is made
    assert_error(response, 415, "unsupported_media_type")
    assert Refund.objects.filter(return_request=return_request).count() == 1
    # the same action in JSON does make one, for what is left
    made = agent_api.post(url, {"amount": "5.00", "reason": "Part of it."}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["amount"] == "5.00"


def test_return_evidence_takes_multipart_only(storefront, storefront_client):
    return_request = make_return(storefront, delivered=timezone.now() - timedelta(days=2))
    url = f"/api/v1/returns/{return_request.public_id}/attachments/"
    assert_error(storefront_client.post(url, {"file": "aGVsbG8="}, format="json"), 415, "unsupported_media_type")
    # a part the server does not know is named, not dropped
    response = storefront_client.post(url, {"file": "x", "caption": "leak"}, format="multipart")
    assert_error(response, 400, "validation_error", "caption")
    assert storefront_client.get(f"/api/v1/returns/{return_request.public_id}/").json()["evidence"] == []


def test_a_desk_reply_in_json_cannot_carry_files(storefront, agent_api):
    ticket = make_ticket(storefront)
    response = agent_api.post(
        f"/api/v1/desk/tickets/{ticket.reference}/reply/", {"body": "Label", "attachments": ["aGVsbG8="]}, format="json"
    )
    assert_error(response, 400, "validation_error", "attachments")
    assert not Message.objects.filter(ticket=ticket, author__isnull=False).exists()


def test_an_action_without_fields_takes_an_empty_body_or_an_empty_object_only(storefront, agent_api):
    ticket = make_ticket(storefront)
    url = f"/api/v1/desk/tickets/{ticket.reference}/acknowledge/"
    assert_error(agent_api.post(url, {"note": "on it"}, format="json"), 400, "validation_error", "note")
    assert agent_api.post(url, {}, format="json").status_code == 200


# --- JSON types, amounts and times ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": 42}, "subject"),
        ({"category": ["logistics"]}, "category"),
        ({"customer": "C-9"}, "customer"),
        ({"customer": {"name": "Li\x00Lei"}}, "customer.name"),
        # as the schema's patterns and lengths say: not blanks only, no longer than its maxLength as sent, an
        # e-mail address without blanks around it
        ({"subject": " \t\x1c "}, "subject"),
        ({"subject": "x" * 200 + " "}, "subject"),
        ({"customer": {"email": " li.lei@example.com"}}, "customer.email"),
    ],
)
def test_a_field_of_the_wrong_json_type_or_spelling_is_400_naming_it(storefront_client, team, change, field):
    response = storefront_client.post("/api/v1/tickets/", {**TICKET, **change}, format="json")
    assert_error(response, 400, "validation_error", field)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("revenue", ["", "-", ".", "1e3", "01.00", " 1.00", "1.001", "-1.00", "1,00", 12.5, None])
def test_an_amount_is_a_decimal_string_as_the_schema_spells_it(storefront_client, revenue):
    day = timezone.localdate().isoformat()
    body = {"orders": 3, "revenue": revenue, "currency": "CNY"}
    response = storefront_client.put(f"/api/v1/sales-stats/{day}/", body, format="json")
    assert_error(response, 400, "validation_error", "revenue")
    assert not SalesStat.objects.exists()


@pytest.mark.parametrize("revenue", ["0", "199", "199.5", "199.00", "0.01"])
def test_an_amount_the_schema_allows_is_taken(storefront_client, revenue):
    day = timezone.localdate().isoformat()
    body = {"orders": 3, "revenue": revenue, "currency": "CNY"}
    response = storefront_client.put(f"/api/v1/sales-stats/{day}/", body, format="json")
    assert response.status_code == 201, response.content
    assert SalesStat.objects.get().revenue == Decimal(revenue)


@pytest.mark.parametrize("amount", ["0", "0.00", "-5.00"])
def test_a_refund_of_nothing_is_refused(storefront, agent, agent_api, amount):
    return_request = make_return(storefront, delivered=timezone.now() - timedelta(days=2))
    response = agent_api.post(
        f"/api/v1/desk/returns/{return_request.reference}/refund/", {"amount": amount}, format="json"
    )
    assert_error(response, 400, "validation_error", "amount")
    assert not Refund.objects.exists()


def test_times_need_their_offset_and_any_rfc_3339_offset_is_read(storefront_client):
    now = timezone.now()
    naive = return_body(order__placed_at=(now - timedelta(days=4)).replace(tzinfo=None).isoformat())
    assert_error(storefront_client.post("/api/v1/returns/", naive, format="json"), 400, "validation_error")
    assert not ReturnRequest.objects.exists()
    # an offset beyond PostgreSQL's own range (RFC 3339 allows up to 23:59) is read, not a server error
    response = storefront_client.get("/api/v1/returns/", {"created_after": "2026-01-01T00:00:00-23:30"})
    assert response.status_code == 200, response.content
    response = storefront_client.get("/api/v1/returns/", {"created_after": "2026-01-01"})
    assert_error(response, 400, "validation_error", "created_after")


# --- Query parameters and cursors -------------------------------------------------------------------------------

LISTS = [
    ("storefront_client", "/api/v1/returns/"),
    ("supervisor_api", "/api/v1/desk/tickets/"),
    ("supervisor_api", "/api/v1/desk/returns/"),
    ("supervisor_api", "/api/v1/desk/refunds/"),
    ("supervisor_api", "/api/v1/desk/complaints/"),
    ("supervisor_api", "/api/v1/desk/alerts/"),
    ("supervisor_api", "/api/v1/desk/canned-responses/"),
]


@pytest.mark.parametrize(("client_name", "url"), LISTS)
@pytest.mark.parametrize("page_size", ["", "null", "1.0", " 5", "0", "201"])
def test_a_page_size_is_a_whole_number_from_1_to_200(request, client_name, url, page_size):
    client = request.getfixturevalue(client_name)
    assert_error(client.get(url, {"page_size": page_size}), 400, "validation_error", "page_size")


@pytest.mark.parametrize(("client_name", "url"), LISTS)
# "bm9uc2Vuc2U=" is base64 for "nonsense"; "bz14JnA9MQ==" for "o=x&p=1" (an offset that is not a number).
@pytest.mark.parametrize("cursor", ["", "nonsense!", "bm9uc2Vuc2U=", "bz14JnA9MQ=="])
def test_a_cursor_the_server_did_not_make_is_400_on_every_list(request, client_name, url, cursor):
    client = request.getfixturevalue(client_name)
    assert_error(client.get(url, {"cursor": cursor}), 400, "validation_error", "cursor")


def test_a_cursor_holding_a_position_no_row_can_have_is_400_not_a_server_error(storefront_client):
    # base64 for "p=not-a-time": the returns list is ordered by creation time
    response = storefront_client.get("/api/v1/returns/", {"cursor": "cD1ub3QtYS10aW1l"})
    assert_error(response, 400, "validation_error", "cursor")


def test_a_cursor_from_a_next_link_pages_on(supervisor_api, team):
    for number in range(3):
        CannedResponseFactory(title=f"Canned {number}")
    first = supervisor_api.get("/api/v1/desk/canned-responses/", {"page_size": 2}).json()
    second = supervisor_api.get(first["next"]).json()
    assert [len(first["results"]), len(second["results"])] == [2, 1]


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/desk/tickets/", {"status": ""}, "status"),
        ("/api/v1/desk/tickets/", {"storefront": "1e3"}, "storefront"),
        ("/api/v1/desk/tickets/", {"q": ""}, "q"),
        ("/api/v1/desk/alerts/", {"acknowledged": "1"}, "acknowledged"),
        ("/api/v1/desk/alerts/", {"team": ""}, "team"),
        ("/api/v1/desk/complaints/", {"created_after": ""}, "created_after"),
        ("/api/v1/desk/reports/", {"from": "01/02/2026"}, "from"),
        ("/api/v1/desk/reports/", {"storefront": ""}, "storefront"),
    ],
)
def test_an_empty_or_misspelt_filter_is_400_naming_it_not_ignored(supervisor_api, url, params, field):
    assert_error(supervisor_api.get(url, params), 400, "validation_error", field)


def test_a_filter_as_the_schema_spells_it_is_taken(supervisor_api, supervisor, storefront):
    make_ticket(storefront)
    response = supervisor_api.get("/api/v1/desk/alerts/", {"acknowledged": "false", "page_size": "5"})
    assert response.status_code == 200, response.content
    response = supervisor_api.get("/api/v1/desk/tickets/", {"status": ["new", "open"], "storefront": storefront.pk})
    assert response.status_code == 200 and len(response.json()["results"]) == 1

"""The storefront's return and refund endpoints and the staff's, as api.md specifies them."""

import io
import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from returns import services
from returns.models import Refund, RefundStatus, ReturnRequest
from tests.returns.conftest import make_return, return_body
from tickets.models import Status

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    + b"\x00" * 64
)


# Fixed once, so that two bodies of one test carry the same order snapshot.
BASE = timezone.now().replace(microsecond=0)


def recent_body(**changes):
    """The example body, delivered two days ago (the example's dates would be outside the refund window today)."""
    now = BASE
    body = return_body(
        order__placed_at=(now - timedelta(days=4)).isoformat(),
        order__delivered_at=(now - timedelta(days=2)).isoformat(),
    )
    for key, value in changes.items():
        if key.startswith("order__"):
            body["order"][key.removeprefix("order__")] = value
        elif key.startswith("item__"):
            body["items"][0][key.removeprefix("item__")] = value
        elif key.startswith("line__"):
            body["order"]["lines"][0][key.removeprefix("line__")] = value
        else:
            body[key] = value
    return body


def create(client, body=None, **headers):
    return client.post("/api/v1/returns/", body or recent_body(), format="json", headers=headers)


# --- Creating a return ------------------------------------------------------------------------------------------


def test_the_example_of_api_md_is_answered_as_specified(storefront_client):
    response = create(storefront_client)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert re.fullmatch(r"R-\d{6}", body["reference"])
    uuid.UUID(body["id"])
    assert body["status"] == "approved"
    assert body["resolution"] == "refund"
    assert body["refundable_amount"] == "199.00"
    assert body["currency"] == "CNY"
    assert body["decision"]["outcome"] == "auto_approved"
    assert body["decision"]["rule"] == "fault_within_refund_window"
    assert body["decision"]["explanation"]
    assert re.fullmatch(r"T-\d{6}", body["ticket"]["reference"])
    # acknowledged by the decision, then waiting for the customer to ship (returns.md): pending
    assert body["ticket"]["status"] == "pending"
    item = body["items"][0]
    assert {k: item[k] for k in ("line", "sku", "quantity", "reason", "amount")} == {
        "line": "L1",
        "sku": "KET-01",
        "quantity": 1,
        "reason": "quality_issue",
        "amount": "199.00",
    }
    assert body["shipment"] is None
    assert body["refunds"] == []
    assert body["created_at"] and body["updated_at"]
    # and reading it back gives the same answer
    assert storefront_client.get(f"/api/v1/returns/{body['id']}/").json() == body


def test_a_storefront_cannot_set_a_status_an_amount_or_a_decision(storefront_client):
    body = recent_body(
        item__reason="changed_mind",
        item__unused=False,
        status="completed",
        refundable_amount="9999.00",
        decision={"outcome": "auto_approved", "rule": "x", "explanation": "x"},
    )
    body["items"][0]["amount"] = "9999.00"
    response = create(storefront_client, body)
    # refused, naming every field it may not set, rather than quietly ignoring them
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"status", "refundable_amount", "decision", "items.0.amount"}
    assert not ReturnRequest.objects.exists()
    # without them, the policy decides and the amounts are what was paid
    for name in ("status", "refundable_amount", "decision"):
        del body[name]
    del body["items"][0]["amount"]
    response = create(storefront_client, body)
    assert response.status_code == 201
    assert response.json()["status"] == "requested"
    assert response.json()["decision"]["outcome"] == "needs_review"
    assert response.json()["refundable_amount"] == "199.00"
    assert response.json()["items"][0]["amount"] == "199.00"


def _invalid_bodies():
    future = (timezone.now() + timedelta(days=1)).isoformat()
    long_ago = (timezone.now() - timedelta(days=30)).isoformat()
    return [
        ("line not in the order", {"item__line": "L9"}, "items.0.line"),
        ("quantity above what was bought", {"item__quantity": 3}, "items.0.quantity"),
        ("zero quantity", {"item__quantity": 0}, "items.0.quantity"),
        ("unknown reason", {"item__reason": "bored"}, "items.0.reason"),
        ("unknown resolution", {"resolution": "money_back"}, "resolution"),
        ("delivered in the future", {"order__delivered_at": future}, "order.delivered_at"),
        ("delivered before placed", {"order__delivered_at": long_ago}, "order.delivered_at"),
        ("negative price", {"line__unit_price": "-1.00"}, "order.lines.0.unit_price"),
        ("malformed price", {"line__unit_price": "12,50"}, "order.lines.0.unit_price"),
        ("price with 3 decimals", {"line__unit_price": "1.005"}, "order.lines.0.unit_price"),
        ("empty item list", {"items": []}, "items"),
        ("no items", {"items": None}, "items"),
        ("no order", {"order": None}, "order"),
        ("bad currency", {"order__currency": "yuan"}, "order.currency"),
        ("bad date", {"order__placed_at": "yesterday"}, "order.placed_at"),
        ("quantity as text", {"item__quantity": "one"}, "items.0.quantity"),
        ("number as line id", {"item__line": 1}, "items.0.line"),
        ("no lines", {"order__lines": []}, "order.lines"),
    ]


@pytest.mark.parametrize(("case", "changes", "field"), _invalid_bodies(), ids=[c[0] for c in _invalid_bodies()])
def test_invalid_input_is_400_with_the_field(storefront_client, case, changes, field):
    response = create(storefront_client, recent_body(**changes))
    assert response.status_code == 400, response.json()
    assert response.json()["type"] == "validation_error"
    assert field in response.json()["errors"], response.json()
    assert not ReturnRequest.objects.exists()


def test_a_quantity_above_what_is_left_after_earlier_returns_is_400(storefront_client):
    assert create(storefront_client, recent_body(item__quantity=1)).status_code == 201
    assert create(storefront_client, recent_body(item__quantity=1)).status_code == 201
    response = create(storefront_client, recent_body(item__quantity=1))
    assert response.status_code == 400
    assert "items.0.quantity" in response.json()["errors"]


def test_a_later_snapshot_that_disagrees_is_400_on_the_order(storefront_client):
    body = recent_body()
    assert create(storefront_client, body).status_code == 201
    body["order"]["lines"][0]["unit_price"] = "99.00"
    response = create(storefront_client, body)
    assert response.status_code == 400
    assert "unit_price" in response.json()["errors"]["order"][0]


@pytest.mark.parametrize(
    "payload",
    ["not json", "[]", '{"order": "x", "items": "x"}', '{"items": [1, 2]}', "null", '{"order": {"lines": [null]}}'],
)
def test_malformed_bodies_are_400_never_500(storefront_client, payload):
    response = storefront_client.post("/api/v1/returns/", payload, content_type="application/json")
    assert response.status_code == 400


def test_create_is_idempotent_and_a_reused_key_with_another_body_is_422(storefront_client):
    body = recent_body()
    first = create(storefront_client, body, **{"Idempotency-Key": "k-1"})
    again = create(storefront_client, body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert ReturnRequest.objects.count() == 1
    other = create(storefront_client, recent_body(item__quantity=2), **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422
    assert create(storefront_client, body, **{"Idempotency-Key": "k" * 256}).status_code == 400


def test_a_staff_token_may_not_use_the_storefront_endpoints(agent_api):
    assert create(agent_api).status_code == 403


def test_create_answers_in_a_pinned_number_of_queries(storefront_client, django_assert_num_queries):
    create(storefront_client, recent_body(order__external_id="warm-up"))
    # A first return routed to the default team that migrate creates, which has no agent yet (one query finds none,
    # so no assignment), and no webhook URL (no outbox row), savepoints included; test_query_counts.py pins the
    # production set-up and says what each query is.
    with django_assert_num_queries(23):
        assert create(storefront_client).status_code == 201


# --- Reading, isolation, filters ---------------------------------------------------------------------------------


def test_another_storefronts_return_and_refund_are_404(storefront_client, other_storefront_client, agent, finance_user):
    created = create(storefront_client).json()
    return_id = created["id"]
    for path in ("", "shipment/", "cancel/", "attachments/"):
        method = other_storefront_client.get if not path else other_storefront_client.post
        assert method(f"/api/v1/returns/{return_id}/{path}").status_code == 404
    assert other_storefront_client.get(f"/api/v1/returns/{uuid.uuid4()}/").status_code == 404
    assert other_storefront_client.get("/api/v1/returns/not-a-uuid/").status_code == 404
    assert other_storefront_client.get("/api/v1/returns/").json()["results"] == []
    refund = _refund_processing(ReturnRequest.objects.get(), agent, finance_user)
    assert other_storefront_client.get(f"/api/v1/refunds/{refund.public_id}/").status_code == 404
    confirm = other_storefront_client.post(
        f"/api/v1/refunds/{refund.public_id}/confirm/", {"status": "succeeded", "transaction_id": "TX-9"}, format="json"
    )
    assert confirm.status_code == 404
    assert Refund.objects.get().status == RefundStatus.PROCESSING


def test_the_list_filters_and_pages(storefront_client):
    first = create(storefront_client, recent_body(order__external_id="SO-1")).json()
    create(storefront_client, recent_body(order__external_id="SO-2", item__reason="changed_mind"))
    by_order = storefront_client.get("/api/v1/returns/", {"order_external_id": "SO-1"}).json()
    assert [r["id"] for r in by_order["results"]] == [first["id"]]
    requested = storefront_client.get("/api/v1/returns/", {"status": "requested"}).json()["results"]
    assert [r["order_external_id"] for r in requested] == ["SO-2"]
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert storefront_client.get("/api/v1/returns/", {"created_after": future}).json()["results"] == []
    assert len(storefront_client.get("/api/v1/returns/", {"created_before": future}).json()["results"]) == 2
    page = storefront_client.get("/api/v1/returns/", {"page_size": 1}).json()
    assert len(page["results"]) == 1 and page["next"]
    assert storefront_client.get(page["next"]).json()["results"][0]["order_external_id"] == "SO-1"
    assert storefront_client.get("/api/v1/returns/", {"status": "lost"}).status_code == 400
    bad_cursor = storefront_client.get("/api/v1/returns/", {"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == 400 and "cursor" in bad_cursor.json()["errors"]


def test_one_return_reads_in_a_pinned_number_of_queries(storefront_client, django_assert_max_num_queries):
    return_id = create(storefront_client).json()["id"]
    with django_assert_max_num_queries(12):
        assert storefront_client.get(f"/api/v1/returns/{return_id}/").status_code == 200


# --- Attachments --------------------------------------------------------------------------------------------------


def _upload(client, return_id, content, name):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(f"/api/v1/returns/{return_id}/attachments/", {"file": upload}, format="multipart")


def test_a_photo_is_stored_as_evidence(storefront_client):
    return_id = create(storefront_client).json()["id"]
    response = _upload(storefront_client, return_id, PNG, "leak.png")
    assert response.status_code == 201
    assert response.json()["content_type"] == "image/png"
    evidence = storefront_client.get(f"/api/v1/returns/{return_id}/").json()["evidence"]
    assert [e["filename"] for e in evidence] == ["leak.png"]


def test_a_file_that_is_not_an_image_or_pdf_is_415_whatever_its_name(storefront_client):
    return_id = create(storefront_client).json()["id"]
    response = _upload(storefront_client, return_id, b"MZ\x90\x00 this is an executable" * 10, "photo.jpg")
    assert response.status_code == 415
    assert response.json()["type"] == "unsupported_media_type"


def test_a_file_over_10_mb_is_413(storefront_client):
    return_id = create(storefront_client).json()["id"]
    response = _upload(storefront_client, return_id, PNG + b"\x00" * (10 * 1024 * 1024), "big.png")
    assert response.status_code == 413


@pytest.mark.parametrize("key", [None, "big-1"])
def test_a_body_over_the_upload_limit_is_a_json_413(storefront_client, key):
    # given a return body padded past DATA_UPLOAD_MAX_MEMORY_SIZE (12 MB) in its description
    body = recent_body(description="x" * (13 * 1024 * 1024))
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    response = storefront_client.post("/api/v1/returns/", body, format="json", **extra)
    # then the answer is the API's error format, not Django's HTML page, and nothing is stored
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["type"] == "payload_too_large" and "errors" not in response.json()
    assert not ReturnRequest.objects.exists()


def test_an_upload_without_a_file_is_400(storefront_client):
    return_id = create(storefront_client).json()["id"]
    response = storefront_client.post(f"/api/v1/returns/{return_id}/attachments/", {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


# --- Shipment, cancel, refunds ------------------------------------------------------------------------------------


def test_the_shipment_moves_the_return_in_transit_and_its_ticket_to_pending(storefront_client):
    return_id = create(storefront_client).json()["id"]
    bad = storefront_client.post(f"/api/v1/returns/{return_id}/shipment/", {"carrier": "SF"}, format="json")
    assert bad.status_code == 400 and "tracking_number" in bad.json()["errors"]
    response = storefront_client.post(
        f"/api/v1/returns/{return_id}/shipment/", {"carrier": "SF Express", "tracking_number": "SF123"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "in_transit"
    assert response.json()["shipment"]["tracking_number"] == "SF123"
    assert response.json()["ticket"]["status"] == Status.PENDING
    again = storefront_client.post(
        f"/api/v1/returns/{return_id}/shipment/", {"carrier": "SF", "tracking_number": "2"}, format="json"
    )
    assert again.status_code == 409


def test_the_customer_cancels_before_receipt_but_not_after(storefront_client, agent):
    first = create(storefront_client, recent_body(order__external_id="SO-1")).json()["id"]
    response = storefront_client.post(f"/api/v1/returns/{first}/cancel/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["ticket"]["status"] == "resolved"
    second = create(storefront_client, recent_body(order__external_id="SO-2")).json()["id"]
    storefront_client.post(f"/api/v1/returns/{second}/shipment/", {"carrier": "SF", "tracking_number": "1"})
    services.return_receive(return_request=ReturnRequest.objects.get(public_id=second), user=agent)
    assert storefront_client.post(f"/api/v1/returns/{second}/cancel/", {}, format="json").status_code == 409
    third = create(storefront_client, recent_body(order__external_id="SO-3")).json()["id"]
    storefront_client.post(f"/api/v1/returns/{third}/shipment/", {"carrier": "SF", "tracking_number": "3"})
    in_transit = storefront_client.post(f"/api/v1/returns/{third}/cancel/", {"reason": "Lost it"}, format="json")
    assert in_transit.status_code == 200
    assert in_transit.json()["status"] == "cancelled"


def _refund_processing(return_request, agent, finance_user):
    storefront = return_request.storefront
    services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
    services.return_receive(return_request=return_request, user=agent)
    services.return_inspect(return_request=return_request, user=agent, passed=True)
    refund = Refund.objects.get(return_request=return_request)
    return services.refund_issue(refund=refund, user=finance_user)


def test_the_storefront_reads_and_confirms_a_refund(storefront_client, agent, finance_user):
    return_id = create(storefront_client).json()["id"]
    refund = _refund_processing(ReturnRequest.objects.get(public_id=return_id), agent, finance_user)
    read = storefront_client.get(f"/api/v1/refunds/{refund.public_id}/").json()
    assert (read["amount"], read["currency"], read["status"]) == ("199.00", "CNY", "processing")
    assert read["return"]["id"] == return_id
    missing = storefront_client.post(
        f"/api/v1/refunds/{refund.public_id}/confirm/", {"status": "failed"}, format="json"
    )
    assert missing.status_code == 400 and "failure_reason" in missing.json()["errors"]
    wrong = storefront_client.post(f"/api/v1/refunds/{refund.public_id}/confirm/", {"status": "pending"}, format="json")
    assert wrong.status_code == 400 and "status" in wrong.json()["errors"]
    response = storefront_client.post(
        f"/api/v1/refunds/{refund.public_id}/confirm/",
        {"status": "succeeded", "transaction_id": "PAY-77"},
        format="json",
        headers={"Idempotency-Key": "confirm-1"},
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["transaction_id"]) == ("succeeded", "PAY-77")
    again = storefront_client.post(
        f"/api/v1/refunds/{refund.public_id}/confirm/",
        {"status": "succeeded", "transaction_id": "PAY-77"},
        format="json",
        headers={"Idempotency-Key": "confirm-1"},
    )
    assert again.json() == response.json() and again.headers["Idempotent-Replayed"] == "true"
    shown = storefront_client.get(f"/api/v1/returns/{return_id}/").json()
    assert shown["status"] == "completed"
    assert shown["ticket"]["status"] == "resolved"
    assert [r["status"] for r in shown["refunds"]] == ["succeeded"]


def test_a_pending_refund_cannot_be_confirmed(storefront_client, agent):
    return_id = create(storefront_client).json()["id"]
    return_request = ReturnRequest.objects.get(public_id=return_id)
    services.return_ship(
        return_request=return_request, storefront=return_request.storefront, carrier="S", tracking_number="1"
    )
    services.return_receive(return_request=return_request, user=agent)
    services.return_inspect(return_request=return_request, user=agent, passed=True)
    refund = Refund.objects.get()
    response = storefront_client.post(
        f"/api/v1/refunds/{refund.public_id}/confirm/", {"status": "succeeded", "transaction_id": "TX-9"}, format="json"
    )
    assert response.status_code == 409


# --- Staff endpoints ----------------------------------------------------------------------------------------------


@pytest.fixture
def finance_api(finance_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {finance_user.token}")
    return client


def test_staff_work_a_return_through_the_desk_api_per_role(storefront_client, agent_api, finance_api):
    created = create(storefront_client, recent_body(item__reason="changed_mind", item__unused=False)).json()
    reference = created["reference"]
    assert finance_api.post(f"/api/v1/desk/returns/{reference}/approve/", {}, format="json").status_code == 403
    approved = agent_api.post(f"/api/v1/desk/returns/{reference}/approve/", {}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["decision"]["outcome"] == "approved"
    storefront_client.post(f"/api/v1/returns/{created['id']}/shipment/", {"carrier": "SF", "tracking_number": "1"})
    assert agent_api.post(f"/api/v1/desk/returns/{reference}/receive/", format="json").json()["status"] == "received"
    inspected = agent_api.post(f"/api/v1/desk/returns/{reference}/inspect/", {"passed": True}, format="json").json()
    assert inspected["status"] == "inspected"
    refund_id = inspected["refunds"][0]["id"]
    lowered = agent_api.post(
        f"/api/v1/desk/refunds/{refund_id}/lower/", {"amount": "180.00", "reason": "Scuffed."}, format="json"
    )
    assert lowered.status_code == 200 and lowered.json()["amount"] == "180.00"
    assert agent_api.post(f"/api/v1/desk/refunds/{refund_id}/issue/", format="json").status_code == 403
    queue = finance_api.get("/api/v1/desk/refunds/").json()
    assert [r["id"] for r in queue["results"]] == [refund_id] and queue["next"] is None
    issued = finance_api.post(f"/api/v1/desk/refunds/{refund_id}/issue/", format="json")
    assert issued.status_code == 200 and issued.json()["status"] == "processing"
    marked = finance_api.post(
        f"/api/v1/desk/refunds/{refund_id}/mark/", {"status": "succeeded", "transaction_id": "BANK-1"}, format="json"
    )
    assert marked.json()["status"] == "succeeded"
    final = agent_api.get(f"/api/v1/desk/returns/{created['id']}/").json()
    assert final["status"] == "completed" and final["ticket"]["status"] == "resolved"


def test_finances_refund_list_is_paged_with_a_cursor_soonest_due_first(storefront, agent, finance_api):
    # given three returns inspected a day apart, each with its pending refund (the newest inspected first)
    start = timezone.now() - timedelta(days=3)
    due = []
    for day, order_id in ((2, "SO-C"), (1, "SO-B"), (0, "SO-A")):
        created_at = start + timedelta(days=day)
        return_request = make_return(
            storefront, order_id=order_id, now=created_at, delivered=created_at - timedelta(days=2)
        )
        at = start + timedelta(days=day, hours=1)
        services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
        services.return_receive(return_request=return_request, user=agent, now=at)
        services.return_inspect(return_request=return_request, user=agent, passed=True, now=at)
        due.append(Refund.objects.get(return_request=return_request))
    soonest_first = [str(refund.public_id) for refund in sorted(due, key=lambda refund: refund.due_at)]

    # when finance reads the list two at a time
    first = finance_api.get("/api/v1/desk/refunds/", {"page_size": 2}).json()
    second = finance_api.get(first["next"]).json()

    # then the pages follow each other, soonest due first, in the API's list format
    assert [r["id"] for r in first["results"] + second["results"]] == soonest_first
    assert first["previous"] is None and second["next"] is None
    assert finance_api.get("/api/v1/desk/refunds/", {"cursor": "nonsense"}).status_code == 400


def test_the_desk_refund_action_refuses_more_than_is_left(storefront_client, agent_api, agent):
    created = create(storefront_client).json()
    return_request = ReturnRequest.objects.get(public_id=created["id"])
    services.return_ship(
        return_request=return_request, storefront=return_request.storefront, carrier="S", tracking_number="1"
    )
    services.return_receive(return_request=return_request, user=agent)
    services.return_inspect(return_request=return_request, user=agent, passed=True)
    response = agent_api.post(f"/api/v1/desk/returns/{created['reference']}/refund/", {"amount": "5.00"}, format="json")
    assert response.status_code == 400 and "amount" in response.json()["errors"]


def test_an_agent_of_another_team_does_not_see_the_return(storefront_client, other_agent):
    from rest_framework.test import APIClient

    created = create(storefront_client).json()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {other_agent.token}")
    assert client.get(f"/api/v1/desk/returns/{created['reference']}/").status_code == 404
    assert client.post(f"/api/v1/desk/returns/{created['reference']}/receive/").status_code == 404


def test_a_storefront_key_may_not_use_the_desk_endpoints(storefront_client):
    created = create(storefront_client).json()
    assert storefront_client.get("/api/v1/desk/returns/").status_code == 403
    assert storefront_client.post(f"/api/v1/desk/returns/{created['id']}/approve/").status_code == 403


def test_every_return_endpoint_is_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/api/v1/returns/",
        "/api/v1/returns/{id}/attachments/",
        "/api/v1/returns/{id}/shipment/",
        "/api/v1/returns/{id}/cancel/",
        "/api/v1/refunds/{id}/confirm/",
        "/api/v1/desk/returns/{id}/approve/",
        "/api/v1/desk/refunds/{id}/issue/",
    ):
        assert path in schema


def test_the_list_reads_in_a_pinned_number_of_queries(storefront_client, django_assert_max_num_queries):
    for index in range(5):
        create(storefront_client, recent_body(order__external_id=f"SO-{index}"))
    with django_assert_max_num_queries(8):
        response = storefront_client.get("/api/v1/returns/")
    assert len(response.json()["results"]) == 5


def test_a_chinese_storefront_gets_the_explanation_in_chinese(storefront, storefront_client):
    storefront.language = "zh-hans"
    storefront.save()
    body = create(storefront_client, recent_body(item__reason="changed_mind", item__unused=False)).json()
    assert body["decision"]["rule"] == "no_reason_item_used"
    assert "客服" in body["decision"]["explanation"]


GARBAGE = [
    [],
    "text",
    {"carrier": 5, "tracking_number": ["x"]},
    {"status": ["succeeded"], "transaction_id": {"a": 1}},
    {"amount": "NaN", "reason": None},
    {"amount": "1e999"},
    {"passed": "maybe", "notes": 3},
    {"reason": {"nested": True}},
    {"replacement_sku": None, "repair_outcome": []},
]


@pytest.mark.parametrize("payload", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_to_every_return_post_is_never_a_5xx(storefront_client, agent_api, payload, agent, finance_user):
    created = create(storefront_client).json()
    return_request = ReturnRequest.objects.get(public_id=created["id"])
    refund = _refund_processing(return_request, agent, finance_user)
    storefront_paths = [
        f"/api/v1/returns/{created['id']}/shipment/",
        f"/api/v1/returns/{created['id']}/cancel/",
        f"/api/v1/returns/{created['id']}/attachments/",
        f"/api/v1/refunds/{refund.public_id}/confirm/",
        "/api/v1/returns/",
    ]
    desk_paths = [
        f"/api/v1/desk/returns/{created['reference']}/{action}/"
        for action in ("approve", "reject", "receive", "inspect", "refund", "exchange", "repair", "cancel")
    ] + [f"/api/v1/desk/refunds/{refund.public_id}/{action}/" for action in ("lower", "issue", "mark")]
    for client, paths in ((storefront_client, storefront_paths), (agent_api, desk_paths)):
        for path in paths:
            response = client.post(path, payload, format="json")
            assert response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"item__reason": "changed_mind", "item__unused": False},
        {"item__reason": "changed_mind", "item__unused": True},
    ],
    ids=["approved", "needs review", "rejected or approved by policy"],
)
def test_the_create_answer_is_what_a_read_answers(storefront_client, agent, changes):
    # The answer is built from the rows just written: it must be exactly what reading the return back gives.
    created = create(storefront_client, recent_body(**changes))
    assert created.status_code == 201, created.content
    read = storefront_client.get(f"/api/v1/returns/{created.json()['id']}/")
    assert created.json() == read.json()

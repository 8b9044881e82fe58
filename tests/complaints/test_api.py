"""The complaint API: storefront create and read (public outcome only, isolation, bad input), idempotency, the desk
list and detail, and one POST per workflow step over every (from, to) pair."""

import json
import uuid

import pytest
import yaml
from django.core.management import call_command

from complaints.models import ALLOWED_MOVES, Complaint, ComplaintStatus
from tests.factories import make_staff
from tickets.models import EventKind, TicketEvent

pytestmark = pytest.mark.django_db

CREATE = "/api/v1/complaints/"
VALID = {
    "category": "product_quality",
    "body": "The kettle leaks from the base.",
    "severity": "moderate",
    "customer": {"external_id": "C-9", "name": "Li Lei", "email": "li.lei@example.com"},
    "order_external_id": "SO-10001",
}
INTERNAL_FIELDS = ("findings", "execution_note", "follow_up_note", "root_cause", "root_cause_code", "lessons")


def _desk(id_or_reference: str, action: str = "") -> str:
    return f"/api/v1/desk/complaints/{id_or_reference}/" + (f"{action}/" if action else "")


def test_storefront_files_a_complaint(storefront_client, storefront):
    response = storefront_client.post(CREATE, VALID, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    complaint = Complaint.objects.get()
    assert body["id"] == str(complaint.public_id)
    assert body["reference"] == complaint.reference and body["reference"].startswith("C-")
    assert body["status"] == "received"
    assert (body["category"], body["severity"], body["order_external_id"]) == (
        "product_quality",
        "moderate",
        "SO-10001",
    )
    assert body["ticket"] == {
        "id": str(complaint.ticket.public_id),
        "reference": complaint.ticket.reference,
        "status": "new",
    }
    assert body["proposed_solution"] == "" and body["compensation_amount"] is None and body["customer_response"] is None
    assert not set(INTERNAL_FIELDS) & set(body)
    assert complaint.ticket.storefront == storefront and complaint.ticket.customer.external_id == "C-9"


def test_storefront_reads_the_public_outcome_and_never_the_internals(storefront_client, make_complaint, storefront):
    complaint = make_complaint(ComplaintStatus.ACCEPTED, shop=storefront)
    response = storefront_client.get(f"{CREATE}{complaint.public_id}/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "accepted"
    assert body["proposed_solution"] == "A replacement kettle and a voucher."
    assert (body["compensation_amount"], body["currency"]) == ("50.00", "CNY")
    assert body["customer_response"]["response"] == "accepted" and body["customer_response"]["at"]
    text = json.dumps(body)
    assert "faulty seal" not in text  # the findings
    assert not set(INTERNAL_FIELDS) & set(body)


def test_another_storefronts_complaint_is_not_found(other_storefront_client, make_complaint):
    complaint = make_complaint()
    assert other_storefront_client.get(f"{CREATE}{complaint.public_id}/").status_code == 404
    assert other_storefront_client.get(f"{CREATE}{uuid.uuid4()}/").status_code == 404
    assert other_storefront_client.get(f"{CREATE}not-a-uuid/").status_code == 404


def test_staff_credentials_cannot_use_the_storefront_endpoints(agent_api, make_complaint):
    complaint = make_complaint()
    assert agent_api.get(f"{CREATE}{complaint.public_id}/").status_code == 403
    assert agent_api.post(CREATE, VALID, format="json").status_code == 403


def test_no_credentials_is_401(client):
    assert client.post(CREATE, VALID, content_type="application/json").status_code == 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({**VALID, "category": "weather"}, "category"),
        ({**VALID, "category": None}, "category"),
        ({k: v for k, v in VALID.items() if k != "body"}, "body"),
        ({**VALID, "body": ""}, "body"),
        ({**VALID, "body": 12}, "body"),
        ({**VALID, "body": "x" * 20001}, "body"),
        ({**VALID, "severity": "apocalyptic"}, "severity"),
        ({**VALID, "customer": "Li Lei"}, "customer"),
        ({**VALID, "customer": {"email": "not-an-email"}}, "customer.email"),
        ({**VALID, "order_external_id": ["SO-1"]}, "order_external_id"),
        ({**VALID, "order_external_id": "x" * 101}, "order_external_id"),
    ],
)
def test_malformed_complaints_are_400_naming_the_field(storefront_client, payload, field):
    response = storefront_client.post(CREATE, payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["type"] == "validation_error"
    assert field in response.json()["errors"]
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('"just a string"', "application/json"),
        ("null", "application/json"),
        ("category=service", "text/plain"),
    ],
)
def test_malformed_bodies_never_yield_a_server_error(storefront_client, raw, content_type):
    response = storefront_client.generic("POST", CREATE, raw, content_type=content_type)
    assert response.status_code in (400, 415)
    assert response.json()["type"] in ("parse_error", "validation_error", "unsupported_media_type")


def test_a_retried_post_with_the_same_key_files_one_complaint(storefront_client):
    first = storefront_client.post(CREATE, VALID, format="json", HTTP_IDEMPOTENCY_KEY="complaint-1")
    again = storefront_client.post(CREATE, VALID, format="json", HTTP_IDEMPOTENCY_KEY="complaint-1")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert Complaint.objects.count() == 1
    other = storefront_client.post(
        CREATE, {**VALID, "body": "Another thing"}, format="json", HTTP_IDEMPOTENCY_KEY="complaint-1"
    )
    assert other.status_code == 422
    assert Complaint.objects.count() == 1


def test_idempotency_key_too_long_is_400(storefront_client):
    response = storefront_client.post(CREATE, VALID, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]


# --- Desk ---------------------------------------------------------------------------------------------------------


def test_desk_detail_shows_everything_by_id_or_reference(agent_api, make_complaint):
    complaint = make_complaint(ComplaintStatus.SOLUTION_PROPOSED)
    by_reference = agent_api.get(_desk(complaint.reference))
    by_id = agent_api.get(_desk(str(complaint.public_id)))
    assert by_reference.status_code == by_id.status_code == 200
    assert by_reference.json() == by_id.json()
    body = by_id.json()
    assert body["findings"] == "The kettle batch 42 has a faulty seal."
    assert body["department"] == "customer_service"
    assert body["next_steps"] == ["accepted", "declined"]


def test_desk_hides_complaints_of_other_teams(other_agent, make_complaint):
    from rest_framework.test import APIClient

    complaint = make_complaint()  # customer service
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {other_agent.token}")
    assert client.get(_desk(complaint.reference)).status_code == 404
    assert client.post(_desk(complaint.reference, "investigate"), {}, format="json").status_code == 404
    assert client.get("/api/v1/desk/complaints/").json()["results"] == []


def test_storefront_keys_cannot_use_the_desk(storefront_client, make_complaint):
    complaint = make_complaint()
    assert storefront_client.get(_desk(complaint.reference)).status_code == 403
    assert storefront_client.post(_desk(complaint.reference, "investigate"), {}, format="json").status_code == 403


def test_desk_list_filters(supervisor_api, make_complaint):
    logistics = make_complaint(category="logistics", severity="severe")
    service = make_complaint(ComplaintStatus.INVESTIGATING, category="service")
    archived = make_complaint(ComplaintStatus.ARCHIVED, category="service")

    def refs(query: str) -> list[str]:
        response = supervisor_api.get(f"/api/v1/desk/complaints/{query}")
        assert response.status_code == 200, response.content
        return [row["reference"] for row in response.json()["results"]]

    assert refs("") == [archived.reference, service.reference, logistics.reference]
    assert refs("?category=logistics") == [logistics.reference]
    assert refs("?department=customer_service") == [archived.reference, service.reference]
    assert refs("?severity=severe") == [logistics.reference]
    assert refs("?status=investigating&status=archived") == [archived.reference, service.reference]
    assert refs("?age=under_1d") == [archived.reference, service.reference, logistics.reference]
    assert refs("?age=over_7d") == []
    assert supervisor_api.get("/api/v1/desk/complaints/?status=lost").status_code == 400
    assert supervisor_api.get("/api/v1/desk/complaints/?age=ancient").status_code == 400


def test_desk_list_costs_a_fixed_number_of_queries(supervisor_api, make_complaint, django_assert_max_num_queries):
    for _ in range(3):
        make_complaint(ComplaintStatus.INVESTIGATING)
    with django_assert_max_num_queries(6):
        small = supervisor_api.get("/api/v1/desk/complaints/")
    for _ in range(7):
        make_complaint()
    with django_assert_max_num_queries(6):
        large = supervisor_api.get("/api/v1/desk/complaints/")
    assert len(small.json()["results"]) == 3 and len(large.json()["results"]) == 10


def test_desk_list_pages_with_a_cursor(supervisor_api, make_complaint):
    made = [make_complaint() for _ in range(3)]
    first = supervisor_api.get("/api/v1/desk/complaints/?page_size=2").json()
    second = supervisor_api.get(first["next"]).json()
    seen = [row["reference"] for row in first["results"] + second["results"]]
    assert sorted(seen) == sorted(complaint.reference for complaint in made)
    assert second["next"] is None


# The endpoint and body that lead to each target state.
STEP_CALLS = {
    ComplaintStatus.INVESTIGATING: ("investigate", {}),
    ComplaintStatus.SOLUTION_PROPOSED: (
        "propose",
        {"findings": "Seal.", "proposed_solution": "Replace it.", "compensation_amount": "20.00", "currency": "cny"},
    ),
    ComplaintStatus.ACCEPTED: ("customer-response", {"response": "accepted", "note": "Fine by me."}),
    ComplaintStatus.DECLINED: ("customer-response", {"response": "declined", "note": "Not enough."}),
    ComplaintStatus.EXECUTING: ("execute", {"execution_note": "Shipping a new one."}),
    ComplaintStatus.FOLLOW_UP: ("follow-up", {"follow_up_note": "Called; all good.", "follow_up_satisfaction": 4}),
    ComplaintStatus.ARCHIVED: (
        "archive",
        {"root_cause_code": "carrier", "root_cause": "Dropped in transit.", "lessons": "Padded boxes."},
    ),
}
API_PAIRS = [(source, target) for source in ComplaintStatus.values for target in STEP_CALLS]


@pytest.mark.parametrize(("source", "target"), API_PAIRS, ids=[f"{s}->{t}" for s, t in API_PAIRS])
def test_desk_step_over_every_pair(agent_api, make_complaint, source, target):
    complaint = make_complaint(source)
    events_before = TicketEvent.objects.filter(ticket=complaint.ticket).count()
    action, payload = STEP_CALLS[target]
    response = agent_api.post(_desk(complaint.reference, action), payload, format="json")
    fresh = Complaint.objects.get(pk=complaint.pk)
    if target in ALLOWED_MOVES[source]:
        assert response.status_code == 200, response.content
        assert response.json()["status"] == target == fresh.status
    else:
        assert response.status_code == 409, response.content
        assert response.json()["type"] == "illegal_state_change"
        assert fresh.status == source and fresh.updated_at == complaint.updated_at
        assert TicketEvent.objects.filter(ticket=complaint.ticket).count() == events_before


def test_archiving_without_root_cause_is_400_naming_the_field(agent_api, make_complaint):
    complaint = make_complaint(ComplaintStatus.FOLLOW_UP)
    response = agent_api.post(_desk(complaint.reference, "archive"), {"lessons": "Pack better."}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "A root cause is required to archive a complaint."
    assert body["errors"]["root_cause_code"] == ["A root cause is required to archive a complaint."]
    assert "root_cause" in body["errors"]
    assert Complaint.objects.get(pk=complaint.pk).status == ComplaintStatus.FOLLOW_UP


@pytest.mark.parametrize(
    ("action", "payload", "field"),
    [
        ("propose", {"findings": "x"}, "proposed_solution"),
        ("propose", {"findings": "x", "proposed_solution": "y", "compensation_amount": "-3"}, "compensation_amount"),
        ("propose", {"findings": "x", "proposed_solution": "y", "compensation_amount": "1.999"}, "compensation_amount"),
        ("propose", {"findings": "x", "proposed_solution": "y", "currency": "EURO"}, "currency"),
        ("customer-response", {"response": "maybe"}, "response"),
        ("follow-up", {"follow_up_note": "ok", "follow_up_satisfaction": 9}, "follow_up_satisfaction"),
        ("archive", {"root_cause_code": "gremlins"}, "root_cause_code"),
        ("department", {"department": "marketing"}, "department"),
    ],
)
def test_desk_step_bad_input_is_400(supervisor_api, make_complaint, action, payload, field):
    complaint = make_complaint(ComplaintStatus.INVESTIGATING)
    response = supervisor_api.post(_desk(complaint.reference, action), payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_desk_step_is_idempotent(agent_api, make_complaint):
    complaint = make_complaint()
    first = agent_api.post(_desk(complaint.reference, "investigate"), {}, format="json", HTTP_IDEMPOTENCY_KEY="inv-1")
    again = agent_api.post(_desk(complaint.reference, "investigate"), {}, format="json", HTTP_IDEMPOTENCY_KEY="inv-1")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content
    assert TicketEvent.objects.filter(ticket=complaint.ticket, data__to="investigating").count() == 1


def test_only_supervisors_change_the_department(agent_api, supervisor_api, make_complaint, other_team):
    complaint = make_complaint(ComplaintStatus.INVESTIGATING)
    refused = agent_api.post(_desk(complaint.reference, "department"), {"department": "logistics"}, format="json")
    assert refused.status_code == 403
    done = supervisor_api.post(_desk(complaint.reference, "department"), {"department": "logistics"}, format="json")
    assert done.status_code == 200
    assert done.json()["department"] == "logistics"
    assert done.json()["team"]["name"] == other_team.name


def test_finance_users_cannot_work_complaints(finance_user, make_complaint):
    from rest_framework.test import APIClient

    complaint = make_complaint()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {finance_user.token}")
    assert client.post(_desk(complaint.reference, "investigate"), {}, format="json").status_code == 403


def test_customer_messages_on_the_complaint_ticket_work_as_on_any_ticket(storefront_client, agent_api):
    created = storefront_client.post(CREATE, VALID, format="json").json()
    ticket_id = created["ticket"]["id"]
    response = storefront_client.post(f"/api/v1/tickets/{ticket_id}/messages/", {"body": "Any news?"}, format="json")
    assert response.status_code == 201
    complaint = Complaint.objects.get()
    assert TicketEvent.objects.filter(ticket=complaint.ticket, kind=EventKind.CUSTOMER_MESSAGE).count() == 2


def test_an_agent_outside_the_complaints_team_does_not_see_it(make_complaint, team):
    from rest_framework.test import APIClient

    product_agent = make_staff("product-agent", "agent", teams=())
    complaint = make_complaint(category="product_quality")  # no "Product" team: stays on the routed team
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {product_agent.token}")
    assert client.get(_desk(complaint.reference)).status_code == 404
    assert complaint.ticket.team == team


def test_schema_describes_the_complaint_endpoints_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--urlconf",
        "tests.complaints.schema_urls",
        "--file",
        str(target),
    )
    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    assert "post" in paths["/api/v1/complaints/"] and "get" in paths["/api/v1/complaints/{id}/"]
    assert "post" in paths["/api/v1/complaints/{id}/response/"]
    for action in ("investigate", "propose", "customer-response", "execute", "follow-up", "archive", "department"):
        operation = paths[f"/api/v1/desk/complaints/{{id}}/{action}/"]["post"]
        assert any(parameter["name"] == "Idempotency-Key" for parameter in operation["parameters"])
        for code in ("400", "403", "404", "409", "422"):
            assert operation["responses"][code]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }
    components = schema["components"]["schemas"]
    assert components["ComplaintStatusEnum"]["enum"] == list(ComplaintStatus.values)
    public = components["ComplaintOut"]["properties"]
    assert not set(INTERNAL_FIELDS) & set(public)
    assert {"findings", "root_cause_code", "lessons"} <= set(components["DeskComplaintOut"]["properties"])


def test_storefront_relays_the_customers_answer(storefront_client, other_storefront_client, make_complaint):
    complaint = make_complaint(ComplaintStatus.SOLUTION_PROPOSED)
    url = f"{CREATE}{complaint.public_id}/response/"
    # another storefront cannot answer for this customer
    assert other_storefront_client.post(url, {"response": "accepted"}, format="json").status_code == 404
    assert storefront_client.post(url, {"response": "perhaps"}, format="json").status_code == 400
    response = storefront_client.post(url, {"response": "accepted", "note": "Deal."}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    assert response.json()["customer_response"]["note"] == "Deal."
    event = TicketEvent.objects.filter(ticket=complaint.ticket, kind=EventKind.COMPLAINT).latest("id")
    assert event.actor_storefront is not None and event.data["to"] == "accepted"
    # answering twice is an illegal move, and changes nothing
    again = storefront_client.post(url, {"response": "declined"}, format="json")
    assert again.status_code == 409
    assert Complaint.objects.get(pk=complaint.pk).customer_response == "accepted"


def test_storefront_cannot_answer_before_a_proposal(storefront_client, make_complaint):
    complaint = make_complaint(ComplaintStatus.INVESTIGATING)
    response = storefront_client.post(
        f"{CREATE}{complaint.public_id}/response/", {"response": "accepted"}, format="json"
    )
    assert response.status_code == 409


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"', "null", '{"findings": {"a": 1}}'])
def test_malformed_desk_step_bodies_are_400(agent_api, make_complaint, raw):
    complaint = make_complaint(ComplaintStatus.INVESTIGATING)
    response = agent_api.generic("POST", _desk(complaint.reference, "propose"), raw, content_type="application/json")
    assert response.status_code == 400
    assert Complaint.objects.get(pk=complaint.pk).status == ComplaintStatus.INVESTIGATING

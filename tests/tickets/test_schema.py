"""The OpenAPI schema describes the API without warnings, and the docs page works without any CDN."""

import re

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings_and_validates(tmp_path):
    # spectacular raises on any warning (--fail-on-warn) or an invalid OpenAPI document (--validate)
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    assert {"post"} <= set(paths["/api/v1/tickets/"])
    assert "get" in paths["/api/v1/tickets/{id}/"]
    assert "post" in paths["/api/v1/tickets/{id}/messages/"]
    for action in ("reply", "notes", "acknowledge", "assign", "status", "severity", "category", "customer-messages"):
        operation = paths[f"/api/v1/desk/tickets/{{reference}}/{action}/"]["post"]
        # every POST documents its idempotency key and the error answers in the error format
        assert any(parameter["name"] == "Idempotency-Key" for parameter in operation["parameters"])
        for code in ("400", "401", "403", "404", "409", "422", "429"):
            content = operation["responses"][code]["content"]["application/json"]["schema"]
            assert content == {"$ref": "#/components/schemas/Error"}
    created = paths["/api/v1/tickets/"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/TicketOut"}
    components = schema["components"]["schemas"]
    assert components["TicketStatusEnum"]["enum"] == ["new", "open", "pending", "on_hold", "resolved", "closed"]
    # storefronts are told they only ever get replies and their customers' messages, never internal notes
    assert components["PublicMessageKindEnum"]["enum"] == ["public", "customer"]
    assert "ApiKeyAuth" in schema["components"]["securitySchemes"]


def test_each_operation_lists_only_the_credentials_its_endpoint_accepts(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    paths = yaml.safe_load(target.read_text())["paths"]
    operations = [(path, operation) for path, item in paths.items() for operation in item.values()]
    storefront = [operation for path, operation in operations if not path.startswith("/api/v1/desk/")]
    staff = [operation for path, operation in operations if path.startswith("/api/v1/desk/")]
    assert storefront and staff
    # a storefront's key on a desk endpoint is refused (403), as is a staff token on a storefront endpoint: a
    # generated client must not be offered either
    assert all(operation["security"] == [{"ApiKeyAuth": []}] for operation in storefront)
    assert all(operation["security"] == [{"tokenAuth": []}, {"cookieAuth": []}] for operation in staff)


def test_a_return_needs_an_item_and_an_order_line_in_the_schema_as_in_validation(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    components = yaml.safe_load(target.read_text())["components"]["schemas"]
    items = components["ReturnCreateInRequest"]["properties"]["items"]
    assert (items["minItems"], items["maxItems"]) == (1, 100)
    assert components["OrderInRequest"]["properties"]["lines"]["minItems"] == 1


def test_schema_is_served(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "/api/v1/tickets/" in response.json()["paths"]


def test_docs_page_renders_from_local_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
    assert "//unpkg" not in html and "jsdelivr" not in html


def _schema(tmp_path) -> dict:
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(target))
    return yaml.safe_load(target.read_text())


def _operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [(path, method, operation) for path, item in schema["paths"].items() for method, operation in item.items()]


FILES = {
    "/api/v1/returns/{id}/attachments/": {"multipart/form-data"},
    "/api/v1/desk/tickets/{reference}/reply/": {"application/json", "multipart/form-data"},
    "/api/v1/desk/tickets/{reference}/notes/": {"application/json", "multipart/form-data"},
}


def test_bodies_are_json_only_and_multipart_only_where_files_travel(tmp_path):
    schema = _schema(tmp_path)
    bodies = {path: set(op["requestBody"]["content"]) for path, _m, op in _operations(schema) if "requestBody" in op}
    assert bodies["/api/v1/tickets/"] == bodies["/api/v1/returns/"] == {"application/json"}
    assert {path: types for path, types in bodies.items() if types != {"application/json"}} == FILES
    # a reply's files go in multipart only: the JSON form has no field for them
    reply = schema["paths"]["/api/v1/desk/tickets/{reference}/reply/"]["post"]["requestBody"]["content"]
    components = schema["components"]["schemas"]
    json_form = components[reply["application/json"]["schema"]["$ref"].split("/")[-1]]
    multipart_form = components[reply["multipart/form-data"]["schema"]["$ref"].split("/")[-1]]
    assert "attachments" not in json_form["properties"]
    assert multipart_form["properties"]["attachments"]["items"] == {"type": "string", "format": "binary"}


def test_every_request_body_says_it_refuses_unknown_fields(tmp_path):
    components = _schema(tmp_path)["components"]["schemas"]
    requests = {name: component for name, component in components.items() if name.endswith("Request")}
    assert len(requests) > 30
    assert {name for name, component in requests.items() if component.get("additionalProperties") is not False} == set()


@pytest.mark.parametrize(
    ("component", "field", "good", "bad"),
    [
        ("SalesStatInRequest", "revenue", ["0", "12999", "12999.5", "12999.00"], ["", "-", ".", "-1.00", "1e3", "01"]),
        ("LineInRequest", "unit_price", ["0", "199.00"], ["", "-", ".", "-199.00", "199.001", "12345678901.00"]),
        ("RefundCreateInRequest", "amount", ["0.01", "0.5", "199.00"], ["0", "0.00", "-1", "", "."]),
        ("RefundOut", "amount", ["199.00", "0.00"], ["", "-", "."]),
    ],
)
def test_an_amounts_pattern_is_exactly_what_validation_accepts(tmp_path, component, field, good, bad):
    pattern = re.compile(_schema(tmp_path)["components"]["schemas"][component]["properties"][field]["pattern"])
    assert [value for value in good if not pattern.search(value)] == []
    assert [value for value in bad if pattern.search(value)] == []


def test_each_operation_documents_the_errors_it_can_answer_and_no_others(tmp_path):
    schema = _schema(tmp_path)
    for path, method, operation in _operations(schema):
        codes = set(operation["responses"])
        assert {"401", "403", "429"} <= codes, (method, path)
        if method == "post":
            # JSON bodies (415), a size limit (413), idempotency keys (400, 409, 422)
            assert {"400", "409", "413", "415", "422"} <= codes, (method, path)
            assert ("404" in codes) == ("{" in path), (method, path)  # creating in a collection finds nothing missing
            header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")["schema"]
            assert (header["minLength"], header["maxLength"]) == (1, 255)
        elif operation["operationId"].endswith("_list"):
            # a list: its filters and cursor are validated (400); nothing to find (no 404)
            assert "400" in codes and "404" not in codes, (method, path)

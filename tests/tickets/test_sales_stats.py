"""PUT /api/v1/sales-stats/{date}/: a storefront's daily orders and revenue, the denominators of the rate KPIs."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests import parallel
from tests.factories import StorefrontFactory
from tickets.models import SalesStat

pytestmark = pytest.mark.django_db

DAY = "2026-11-20"
BODY = {"orders": 120, "revenue": "23880.00", "currency": "CNY"}


def url(day: str = DAY) -> str:
    return f"/api/v1/sales-stats/{day}/"


def test_the_first_put_creates_the_day(storefront_client, storefront):
    response = storefront_client.put(url(), BODY, format="json")

    assert response.status_code == 201
    body = response.json()
    assert {key: body[key] for key in ("date", "orders", "revenue", "currency")} == {"date": DAY, **BODY}
    stat = SalesStat.objects.get(storefront=storefront, date=date(2026, 11, 20))
    assert (stat.orders, stat.revenue, stat.currency) == (120, Decimal("23880.00"), "CNY")


def test_a_second_put_replaces_the_figures_and_a_repeat_changes_nothing(storefront_client, storefront):
    storefront_client.put(url(), BODY, format="json")
    corrected = {"orders": 118, "revenue": "23481.5", "currency": "CNY"}

    first = storefront_client.put(url(), corrected, format="json")
    again = storefront_client.put(url(), corrected, format="json")

    for response in (first, again):
        assert response.status_code == 200
        assert response.json()["revenue"] == "23481.50"
        assert response.json()["orders"] == 118
    assert SalesStat.objects.filter(storefront=storefront).count() == 1
    stat = SalesStat.objects.get(storefront=storefront)
    assert (stat.orders, stat.revenue) == (118, Decimal("23481.50"))
    assert stat.updated_at >= stat.created_at


def test_get_returns_the_days_figures(storefront_client):
    assert storefront_client.get(url()).status_code == 404
    storefront_client.put(url(), BODY, format="json")

    response = storefront_client.get(url())

    assert response.status_code == 200
    assert response.json()["orders"] == 120 and response.json()["revenue"] == "23880.00"


def test_a_storefront_writes_and_reads_only_its_own_figures(
    storefront_client, other_storefront_client, storefront, other_storefront
):
    # given both storefronts report the same day
    storefront_client.put(url(), BODY, format="json")
    response = other_storefront_client.put(url(), {"orders": 7, "revenue": "70.00", "currency": "USD"}, format="json")

    # then the second one created its own row and the first one's is untouched
    assert response.status_code == 201
    mine = SalesStat.objects.get(storefront=storefront)
    theirs = SalesStat.objects.get(storefront=other_storefront)
    assert (mine.orders, mine.currency) == (120, "CNY")
    assert (theirs.orders, theirs.currency) == (7, "USD")
    # and each reads its own
    assert other_storefront_client.get(url()).json()["orders"] == 7
    assert storefront_client.get(url()).json()["orders"] == 120


def _bad(field: str, value: object) -> dict:
    body = dict(BODY)
    if value is None:
        body.pop(field)
    else:
        body[field] = value
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_bad("orders", None), "orders"),
        (_bad("orders", -1), "orders"),
        (_bad("orders", 1.5), "orders"),
        (_bad("orders", "12"), "orders"),
        (_bad("orders", True), "orders"),
        (_bad("orders", 10**12), "orders"),
        (_bad("revenue", None), "revenue"),
        (_bad("revenue", "-1.00"), "revenue"),
        (_bad("revenue", "12,50"), "revenue"),
        (_bad("revenue", "1.005"), "revenue"),
        (_bad("revenue", "1e3"), "revenue"),
        (_bad("revenue", "NaN"), "revenue"),
        (_bad("revenue", 199.99), "revenue"),
        (_bad("revenue", "1" * 13 + ".00"), "revenue"),
        (_bad("currency", None), "currency"),
        (_bad("currency", "cny"), "currency"),
        (_bad("currency", "CNYY"), "currency"),
        (_bad("currency", 156), "currency"),
    ],
)
def test_every_bad_field_is_400_naming_it(storefront_client, body, field):
    response = storefront_client.put(url(), body, format="json")

    assert response.status_code == 400
    error = response.json()
    assert error["type"] == "validation_error"
    assert set(error["errors"]) == {field}
    assert not SalesStat.objects.exists()


@pytest.mark.parametrize("day", ["2026-13-01", "2026-02-30", "20261120", "2026-1-5", "yesterday", "0999-01-01"])
def test_a_bad_date_is_400_naming_it(storefront_client, day):
    for response in (storefront_client.put(url(day), BODY, format="json"), storefront_client.get(url(day))):
        assert response.status_code == 400
        assert set(response.json()["errors"]) == {"date"}
    assert not SalesStat.objects.exists()


def test_a_date_too_far_ahead_is_400_but_tomorrow_is_fine(storefront_client):
    today = timezone.now().date()
    too_far = storefront_client.put(url((today + timedelta(days=2)).isoformat()), BODY, format="json")
    assert too_far.status_code == 400
    assert set(too_far.json()["errors"]) == {"date"}

    # a storefront east of the server may already be in tomorrow
    assert storefront_client.put(url((today + timedelta(days=1)).isoformat()), BODY, format="json").status_code == 201


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"text"'])
def test_a_malformed_body_is_400_never_500(storefront_client, raw):
    response = storefront_client.put(url(), raw, content_type="application/json")

    assert response.status_code == 400
    assert "type" in response.json()


def test_no_key_is_401_and_staff_tokens_are_403(agent_api):
    anonymous = APIClient().put(url(), BODY, format="json")
    assert anonymous.status_code == 401
    assert anonymous.json()["type"] in ("not_authenticated", "authentication_failed")
    assert APIClient(HTTP_AUTHORIZATION="Api-Key nope").put(url(), BODY, format="json").status_code == 401
    assert agent_api.put(url(), BODY, format="json").status_code == 403
    assert not SalesStat.objects.exists()


def test_the_schema_documents_the_endpoint(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())

    operations = schema["paths"]["/api/v1/sales-stats/{date}/"]
    put = operations["put"]
    assert {"200", "201", "400", "401"} <= set(put["responses"])
    assert put["responses"]["400"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    body = put["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = schema["components"]["schemas"][body]["properties"]
    assert set(properties) == {"orders", "revenue", "currency"}
    assert properties["revenue"]["type"] == "string"
    assert properties["orders"]["type"] == "integer"
    assert "get" in operations


def test_the_admin_lists_and_edits_the_figures(client, supervisor, storefront, other_storefront, storefront_client):
    # given figures from two storefronts
    storefront_client.put(url(), BODY, format="json")
    SalesStat.objects.create(
        storefront=other_storefront,
        date=date(2026, 11, 19),
        orders=3,
        revenue=Decimal("30.00"),
        currency="USD",
        created_at=timezone.now(),
        updated_at=timezone.now(),
    )
    client.force_login(supervisor)
    changelist = reverse("admin:tickets_salesstat_changelist")

    # then a supervisor filters them by storefront
    filtered = client.get(changelist, {"storefront__id__exact": storefront.pk})
    assert filtered.status_code == 200
    assert list(filtered.context["cl"].result_list) == list(SalesStat.objects.filter(storefront=storefront))

    # and corrects one by hand
    stat = SalesStat.objects.get(storefront=storefront)
    response = client.post(
        reverse("admin:tickets_salesstat_change", args=[stat.pk]),
        {"storefront": storefront.pk, "date": DAY, "orders": "121", "revenue": "23999.00", "currency": "CNY"},
    )
    assert response.status_code == 302
    stat.refresh_from_db()
    assert (stat.orders, stat.revenue) == (121, Decimal("23999.00"))

    # and a second row for the same day, or a lower-case currency, is a form error, not a 500
    add = client.post(
        reverse("admin:tickets_salesstat_add"),
        {"storefront": storefront.pk, "date": DAY, "orders": "1", "revenue": "1.00", "currency": "cny"},
    )
    assert add.status_code == 200
    errors = add.context["adminform"].form.errors
    assert "currency" in errors and "__all__" in errors
    assert SalesStat.objects.filter(storefront=storefront).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_puts_of_one_day_at_once_never_fail_and_leave_one_row():
    storefront = StorefrontFactory(name="Race Shop")
    count = 10

    def put(index: int) -> int:
        client = APIClient(HTTP_AUTHORIZATION=f"Api-Key {storefront.plain_key}")
        body = {"orders": index, "revenue": f"{index}.00", "currency": "CNY"}
        return client.put(url(), body, format="json").status_code

    statuses = parallel.run_at_once(put, count)

    # one created the row, every other one updated it; none failed
    assert sorted(statuses) == [200] * (count - 1) + [201], statuses
    stat = SalesStat.objects.get(storefront=storefront)
    assert stat.revenue == Decimal(f"{stat.orders}.00")  # one writer's whole body, never a mix

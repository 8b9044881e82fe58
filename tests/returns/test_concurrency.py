"""Money and quantity safety under real parallel transactions on PostgreSQL (20 threads started at once)."""

from decimal import Decimal

import pytest
from django.db.models import Sum
from rest_framework.test import APIClient

from aftersales.errors import ApplicationError
from returns import services
from returns.models import COUNTED_REFUND_STATUSES, Order, Refund, ReturnItem, ReturnRequest, ReturnStatus
from tests import parallel
from tests.returns.conftest import make_return
from tests.returns.test_api import recent_body

# serialized_rollback: the flush after a transactional test would otherwise drop the seeded SLA policy for the
# tests that follow.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

THREADS = 20


def run_at_once(work, count: int = THREADS) -> list:
    return parallel.run_at_once(work, count)


def _ready_for_refund(return_request: ReturnRequest) -> ReturnRequest:
    # Setup only: put the return where the policy allows a refund, without the refund the inspection would create.
    ReturnRequest.objects.filter(pk=return_request.pk).update(status=ReturnStatus.INSPECTED, inspection_passed=True)
    return ReturnRequest.objects.get(pk=return_request.pk)


def _counted(**filters) -> Decimal:
    total = Refund.objects.filter(status__in=COUNTED_REFUND_STATUSES, **filters).aggregate(t=Sum("amount"))["t"]
    return total or Decimal("0")


def test_twenty_partial_refunds_of_one_return_at_once_never_exceed_what_was_paid(storefront, agent):
    return_request = _ready_for_refund(make_return(storefront, quantity=1))  # 199.00 refundable

    results = run_at_once(
        lambda i: services.refund_create(
            return_request=return_request, user=agent, amount=Decimal("20.00"), reason=f"part {i}"
        )
    )

    created = [r for r in results if isinstance(r, Refund)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(created) + len(refused) == THREADS, results
    assert len(created) == 9  # 9 x 20.00 = 180.00; a tenth would make 200.00 > 199.00
    assert _counted(return_request=return_request) == Decimal("180.00")


def test_refunds_of_two_returns_of_one_order_at_once_never_exceed_what_was_paid(storefront, agent):
    first = _ready_for_refund(make_return(storefront, quantity=1, bought=2))
    second = _ready_for_refund(make_return(storefront, quantity=1, bought=2))
    assert first.order_id == second.order_id  # 2 x 199.00 = 398.00 paid

    results = run_at_once(
        lambda i: services.refund_create(
            return_request=first if i % 2 else second, user=agent, amount=Decimal("45.00"), reason="part"
        )
    )

    assert all(isinstance(r, Refund | ApplicationError) for r in results), results
    assert _counted(return_request=first) <= Decimal("199.00")
    assert _counted(return_request=second) <= Decimal("199.00")
    assert _counted(return_request__order=first.order) == Decimal("360.00")  # 4 + 4 refunds of 45.00 each


def test_first_returns_of_one_order_posted_at_once_never_exceed_the_quantity_bought(storefront):
    # 20 storefront requests, each returning 1 of the 2 kettles of an order the service has never seen
    def post(i: int):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {storefront.plain_key}")
        return client.post("/api/v1/returns/", recent_body(order__external_id="SO-RACE"), format="json").status_code

    statuses = run_at_once(post)

    assert sorted(statuses) == [201, 201] + [400] * (THREADS - 2), statuses
    assert Order.objects.filter(external_id="SO-RACE").count() == 1
    assert ReturnItem.objects.aggregate(q=Sum("quantity"))["q"] == 2


def test_twenty_identical_creates_with_one_idempotency_key_make_one_return(storefront):
    body = recent_body(order__external_id="SO-IDEM")

    def post(i: int):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {storefront.plain_key}")
        response = client.post("/api/v1/returns/", body, format="json", headers={"Idempotency-Key": "same"})
        return response.status_code, response.json()

    results = run_at_once(post)

    assert {status for status, _body in results} == {201}, results
    assert len({body["id"] for _status, body in results}) == 1
    assert ReturnRequest.objects.count() == 1

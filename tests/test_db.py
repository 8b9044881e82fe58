"""aftersales.db: rows written by a batch of INSERTs read back exactly as the ORM's own save writes them; statements
prepared once per database session."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.db import InsertBatch, next_ids, prepared
from returns.models import Order, OrderLine
from tests.factories import StorefrontFactory
from tickets.models import ActorType, EventKind, Kind, Status, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def _stored(model, pk, *, ignore=("id",)):
    row = model.objects.filter(pk=pk).values().get()
    return {name: value for name, value in row.items() if name not in ignore}


def test_a_batch_stores_every_kind_of_value_as_the_orm_does():
    storefront = StorefrontFactory()
    now = timezone.now()
    # A naive datetime: the ORM takes it in the current time zone (and warns); the batch must do the same.
    naive = datetime(2026, 11, 30, 9, 0)

    def rows(reference):
        ticket = Ticket(
            reference=reference,
            kind=Kind.RETURN,
            status=Status.PENDING,
            storefront=storefront,
            subject="Kettle leaks / 水壶漏水 <b>",
            created_at=now,
            updated_at=now,
            pending_since=naive,
            pending_seconds=7,
            assigned_by_hand=True,
        )
        event = TicketEvent(
            kind=EventKind.STATUS_CHANGED,
            actor_type=ActorType.STOREFRONT,
            actor_storefront=storefront,
            data={"from": "open", "to": "pending", "amount": "199.00", "none": None},
            created_at=now,
        )
        # created_at is auto_now_add: the field's own pre_save sets it, in the batch as in the ORM
        order = Order(
            storefront=storefront, external_id=f"SO-{reference}", placed_at=naive, delivered_at=now, currency="CNY"
        )
        return ticket, event, order

    by_orm, event_by_orm, order_by_orm = rows("T-ORM")
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        by_orm.save()
        order_by_orm.save()
    event_by_orm.ticket = by_orm
    event_by_orm.save()
    OrderLine.objects.create(
        order=order_by_orm, external_id="L1", sku="K", name="Kettle", quantity=2, unit_price=Decimal("199.50")
    )

    batched, event_batched, order_batched = rows("T-BATCH")
    batched.pk, order_batched.pk = next_ids(Ticket, Order)
    event_batched.ticket = batched
    batch = InsertBatch()
    batch.add(batched)
    batch.add(event_batched)
    batch.add(order_batched)
    batch.add(
        OrderLine(
            order=order_batched, external_id="L1", sku="K", name="Kettle", quantity=2, unit_price=Decimal("199.50")
        )
    )
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        batch.flush()

    assert _stored(Ticket, batched.pk, ignore=("id", "reference", "public_id")) == _stored(
        Ticket, by_orm.pk, ignore=("id", "reference", "public_id")
    )
    assert Ticket.objects.get(pk=batched.pk).public_id == batched.public_id
    assert _stored(Ticket, batched.pk)["pending_since"] == timezone.make_aware(naive)
    event_values = (
        TicketEvent.objects.filter(ticket=batched)
        .values("kind", "actor_type", "actor_storefront", "data", "created_at")
        .get()
    )
    assert (
        event_values
        == TicketEvent.objects.filter(ticket=by_orm)
        .values("kind", "actor_type", "actor_storefront", "data", "created_at")
        .get()
    )
    ignore = ("id", "external_id", "created_at")
    assert _stored(Order, order_batched.pk, ignore=ignore) == _stored(Order, order_by_orm.pk, ignore=ignore)
    assert Order.objects.get(pk=order_batched.pk).created_at >= now
    line = OrderLine.objects.filter(order=order_batched).values("external_id", "quantity", "unit_price").get()
    assert line == {"external_id": "L1", "quantity": 2, "unit_price": Decimal("199.50")}
    assert not batched._state.adding and not event_batched._state.adding  # marked stored, as a save marks them


def _run(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(*prepared(sql, params))
        return cursor.fetchall()


def _session_prepared() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {row[0] for row in cursor.fetchall()}


def test_a_statement_is_prepared_once_per_session_and_gives_the_same_answers():
    sql = "SELECT %s::int + 1, '100%%' || %s"

    with CaptureQueriesContext(connection) as first:
        assert _run(sql, [1, "!"]) == [(2, "100%!")]
    with CaptureQueriesContext(connection) as second:
        assert _run(sql, [41, "?"]) == [(42, "100%?")]

    assert [query["sql"].split()[0] for query in first.captured_queries] == ["PREPARE", "EXECUTE"]
    assert [query["sql"].split()[0] for query in second.captured_queries] == ["EXECUTE"]
    assert "SELECT $1::int + 1, '100%' || $2" in " ".join(_session_prepared())


def test_a_prepared_statement_outlives_a_failed_transaction():
    sql = "SELECT 10 / %s"
    with pytest.raises(DataError), transaction.atomic():
        _run(sql, [0])  # prepared, then division by zero: the transaction is rolled back

    assert _run(sql, [5]) == [(2,)]  # not prepared again (it would fail: the name exists)


@pytest.mark.django_db(transaction=True)
def test_a_new_session_prepares_its_statements_again():
    sql = "SELECT %s::text || 'x'"
    assert _run(sql, ["a"]) == [("ax",)]

    connection.close()  # as after a lost connection or CONN_MAX_AGE: the next query opens a new session

    assert _run(sql, ["b"]) == [("bx",)]
    assert any("|| 'x'" in statement for statement in _session_prepared())

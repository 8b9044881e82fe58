"""The API serializers' base (aftersales.serializers): each instance gets its own copies of the declared fields."""

from returns.api.common import ReturnCreateIn, ReturnOut

BODY = {
    "order": {
        "external_id": "SO-1",
        "placed_at": "2026-11-01T10:00:00+08:00",
        "delivered_at": "2026-11-03T15:00:00+08:00",
        "currency": "CNY",
        "lines": [{"external_id": "L1", "sku": "KET-01", "name": "Kettle", "quantity": 2, "unit_price": "199.00"}],
    },
    "items": [{"line": "L1", "quantity": 1, "reason": "quality_issue"}],
    "resolution": "refund",
}


def test_every_serializer_has_its_own_fields_bound_to_it():
    first, second = ReturnCreateIn(data=BODY), ReturnCreateIn(data=BODY)

    items = first.fields["items"]
    assert items is not second.fields["items"]
    assert items.child is not second.fields["items"].child
    assert items.parent is first and items.child.parent is items
    lines = first.fields["order"].fields["lines"]
    assert lines is not second.fields["order"].fields["lines"]
    assert lines.child.root is first
    # the declared fields themselves are only ever copied, never bound
    assert getattr(ReturnCreateIn._declared_fields["items"], "parent", None) is None


def test_nested_fields_see_their_own_roots_context():
    first, second = ReturnOut(context={"language": "en"}), ReturnOut(context={"language": "zh-hans"})

    assert first.fields["items"].child.fields["sku"].context == {"language": "en"}
    assert second.fields["items"].child.fields["sku"].context == {"language": "zh-hans"}


def test_validations_of_two_instances_do_not_mix():
    wrong = {**BODY, "items": [{"line": "L1", "quantity": "many", "reason": "quality_issue"}]}
    refused, accepted = ReturnCreateIn(data=wrong), ReturnCreateIn(data=BODY)

    assert not refused.is_valid()
    assert accepted.is_valid(), accepted.errors
    assert refused.errors == {"items": {0: {"quantity": ["A valid integer is required."]}}}
    assert accepted.validated_data["items"][0]["quantity"] == 1
    assert accepted.validated_data["order"]["lines"][0]["unit_price"] == 199

"""The base of every API serializer: DRF's, with its fields copied cheaply.

DRF gives each serializer instance its own fields by deep-copying the declared ones, and a field's deep copy calls its
`__init__` again with deep copies of its arguments, nested serializers included: about 2 ms of a return's create went
there (an input and an output serializer of some 60 fields). Declared fields are never used themselves, only copied,
and DRF's fields keep no state of their own once built except what `bind` sets, so a shallow copy of each, bound to
the new instance, behaves the same: a nested serializer's copy builds its own fields when first used, a list's copy
gets its own copy of the child.
"""

from rest_framework import serializers


def _copy_field(field: serializers.Field) -> serializers.Field:
    # copy.copy's protocol (__reduce_ex__, copyreg) costs three times this, for the same result on these classes.
    copied = object.__new__(type(field))
    copied.__dict__.update(field.__dict__)
    copied.__dict__.pop("fields", None)  # a nested serializer's cached fields, were a declared one ever used
    if isinstance(copied, serializers.ListSerializer):
        copied.child = _copy_field(field.child)
        copied.child.parent = copied  # the rest of the child's binding (field_name "") is the same
    return copied


class Serializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: _copy_field(field) for name, field in self._declared_fields.items()}

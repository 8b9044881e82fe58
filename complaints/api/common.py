"""Shared by the complaint API views: the output serializers and small helpers.

A storefront sees ComplaintOut (the state and the public outcome only); staff see DeskComplaintOut (everything).
"""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.serializers import Serializer

from complaints.models import (
    ALLOWED_MOVES,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    CustomerResponse,
    Department,
)
from tickets.api.common import (
    DeskCustomerOut,
    NamedRefOut,
    StaffRefOut,
)
from tickets.models import Severity, Status

NOTE_MAX = 5000


# --- Output -------------------------------------------------------------------------------------------------------


class ComplaintTicketOut(Serializer):
    id = serializers.UUIDField(source="public_id", help_text="Post the customer's messages to this ticket.")
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)


class CustomerResponseOut(Serializer):
    response = serializers.ChoiceField(choices=CustomerResponse.choices)
    at = serializers.DateTimeField()
    note = serializers.CharField()


class ComplaintOut(Serializer):
    """What a storefront sees: the state and the public outcome."""

    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=ComplaintStatus.choices)
    category = serializers.ChoiceField(choices=ComplaintCategory.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    order_external_id = serializers.CharField(source="ticket.order_external_id")
    ticket = ComplaintTicketOut()
    proposed_solution = serializers.CharField(help_text="Empty until a solution is proposed.")
    compensation_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="Offered with the proposal, if any."
    )
    currency = serializers.CharField(help_text="ISO 4217; empty without compensation.")
    customer_response = serializers.SerializerMethodField(help_text="The customer's answer to the current proposal.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(CustomerResponseOut(allow_null=True))
    def get_customer_response(self, complaint: Complaint) -> dict[str, Any] | None:
        if not complaint.customer_response:
            return None
        return CustomerResponseOut(
            {
                "response": complaint.customer_response,
                "at": complaint.customer_response_at,
                "note": complaint.customer_response_note,
            }
        ).data


class DeskComplaintOut(ComplaintOut):
    """What staff see: everything, findings and notes included."""

    department = serializers.ChoiceField(choices=Department.choices)
    findings = serializers.CharField()
    execution_note = serializers.CharField()
    follow_up_note = serializers.CharField()
    follow_up_satisfaction = serializers.IntegerField(allow_null=True, min_value=1, max_value=5)
    root_cause_code = serializers.CharField(help_text="One of the root cause codes; empty until archived.")
    root_cause = serializers.CharField()
    lessons = serializers.CharField()
    archived_at = serializers.DateTimeField(allow_null=True)
    customer = DeskCustomerOut(source="ticket.customer", allow_null=True)
    storefront = NamedRefOut(source="ticket.storefront")
    team = NamedRefOut(source="ticket.team", allow_null=True)
    assignee = StaffRefOut(source="ticket.assignee", allow_null=True)
    next_steps = serializers.SerializerMethodField(help_text="The states this complaint may move to next.")

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ComplaintStatus.choices)))
    def get_next_steps(self, complaint: Complaint) -> list[str]:
        return sorted(ALLOWED_MOVES[complaint.status])


class DeskComplaintPageOut(Serializer):
    results = DeskComplaintOut(many=True)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


def desk_body(complaint: Complaint) -> dict[str, Any]:
    # Reloaded without the visibility filter: an agent whose complaint just went to another department still gets
    # the result of their own action.
    fresh = Complaint.objects.select_related(
        "ticket", "ticket__customer", "ticket__team", "ticket__assignee", "ticket__storefront"
    ).get(pk=complaint.pk)
    return DeskComplaintOut(fresh).data

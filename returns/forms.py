"""Desk forms for the return and refund actions: parse only; the services decide what is allowed."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from returns.models import RefundStatus, ReturnStatus

MONEY = {"max_digits": 12, "decimal_places": 2}


class RequiredReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the rejection"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ApproveForm(forms.Form):
    reason = forms.CharField(
        label=_("Note (needed to overrule the policy)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the customer withdraws it"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class InspectForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("Inspection"),
        choices=[("yes", _("Passed")), ("no", _("Failed"))],
        coerce=lambda value: value == "yes",
    )
    notes = forms.CharField(label=_("Notes"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), **MONEY, min_value=Decimal("0.01"), required=False)
    reason = forms.CharField(label=_("Reason for a lower amount"), max_length=2000, required=False)


class LowerRefundForm(forms.Form):
    amount = forms.DecimalField(label=_("New amount"), **MONEY, min_value=Decimal("0.01"))
    reason = forms.CharField(label=_("Reason"), max_length=2000)


class ExchangeForm(forms.Form):
    replacement_sku = forms.CharField(label=_("Replacement SKU"), max_length=100)


class RepairForm(forms.Form):
    repair_outcome = forms.CharField(
        label=_("Repair outcome"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SettleForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Result"),
        choices=[
            (RefundStatus.SUCCEEDED, RefundStatus.SUCCEEDED.label),
            (RefundStatus.FAILED, RefundStatus.FAILED.label),
        ],
    )
    transaction_id = forms.CharField(label=_("Transaction id"), max_length=200, required=False)
    failure_reason = forms.CharField(label=_("Failure reason"), max_length=2000, required=False)


class ReturnQueueForm(forms.Form):
    status = forms.ChoiceField(
        label=_("State"), choices=[("", _("Open returns")), *ReturnStatus.choices], required=False
    )


class RefundQueueForm(forms.Form):
    status = forms.ChoiceField(
        label=_("State"), choices=[("", _("To issue or settle")), *RefundStatus.choices], required=False
    )

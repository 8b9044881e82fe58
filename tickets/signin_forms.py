import ipaddress
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


class UnlockForm(forms.Form):
    kind = forms.ChoiceField(choices=[("account", _("Account")), ("address", _("Address"))])
    value = forms.CharField(max_length=255)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("kind") == "address" and data.get("value"):
            try:
                data["value"] = str(ipaddress.ip_address(data["value"]))
            except ValueError:
                self.add_error("value", _("Enter a valid IPv4 or IPv6 address."))
        return data

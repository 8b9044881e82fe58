"""Admin of the e-mail channel (email.md): mailboxes, whose password and webhook secret are never shown again after
saving (an empty field keeps the one stored); the messages that came in, browsed and, when quarantined, released;
the mail outbox, browsed. Customers' addresses are masked here as on the desk and in the customers' admin (the search
finds a message by the whole address). Imported by `tickets.admin`."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from aftersales.errors import ApplicationError
from tickets.mailparse import Undecodable
from tickets.masking import mask_email
from tickets.models import InboundKind, InboundMessage, InboundStatus, Mailbox, OutboundEmail
from tickets.services.inbound import inbound_release
from tickets.services.mailboxes import PROVIDERS, mailbox_create

SECRET_FIELDS = ("imap_password", "webhook_secret")


class MailboxForm(forms.ModelForm):
    imap_password = forms.CharField(
        label=_("IMAP password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Never shown again after saving; leave empty to keep the one stored."),
    )
    webhook_secret = forms.CharField(
        label=_("webhook secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Never shown again after saving; leave empty to keep the one stored."),
    )
    provider = forms.ChoiceField(
        label=_("provider"), required=False, choices=[("", "—"), *((name, name) for name in PROVIDERS)]
    )

    class Meta:
        model = Mailbox
        fields = (
            "storefront",
            "address",
            "display_name",
            "language",
            "default_team",
            "send_acknowledgement",
            "plus_addressing",
            "is_active",
            "inbound",
            "imap_host",
            "imap_port",
            "imap_security",
            "imap_user",
            "imap_password",
            "imap_folder",
            "provider",
            "webhook_secret",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in SECRET_FIELDS:
            if not data.get(name) and self.instance.pk:
                data[name] = getattr(self.instance, name)  # empty: the stored secret stays
        if data.get("inbound") == InboundKind.PROVIDER:
            if not data.get("provider"):
                self.add_error("provider", _("Choose the provider that posts this mailbox's mail."))
            if not data.get("webhook_secret"):
                self.add_error("webhook_secret", _("A provider's mailbox needs its webhook secret."))
        elif data.get("inbound") == InboundKind.IMAP:
            for name in ("imap_host", "imap_user", "imap_password"):
                if not data.get(name):
                    self.add_error(name, _("An IMAP mailbox needs its host, user and password."))
        return data


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ("address", "storefront", "inbound", "provider", "is_active", "last_fetched_at", "last_error")
    list_filter = ("inbound", "is_active", "storefront")
    search_fields = ("address", "display_name")
    readonly_fields = ("last_fetched_at", "last_error", "created_at")

    def save_model(self, request: HttpRequest, obj: Mailbox, form: forms.ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        mailbox = mailbox_create(
            storefront=data["storefront"],
            address=data["address"],
            imap_host=data.get("imap_host") or "",
            imap_port=data.get("imap_port"),
            imap_user=data.get("imap_user") or "",
            imap_password=data.get("imap_password") or "",
            imap_security=data.get("imap_security") or "ssl",
            imap_folder=data.get("imap_folder") or "INBOX",
            provider=data.get("provider") if data.get("inbound") == InboundKind.PROVIDER else "",
            webhook_secret=data.get("webhook_secret") or "",
            display_name=data.get("display_name") or "",
            language=data.get("language") or "",
            default_team=data.get("default_team"),
            send_acknowledgement=bool(data.get("send_acknowledgement")),
        )
        obj.pk = mailbox.pk
        obj._state.adding = False


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ("received_at", "mailbox", "sender", "subject", "status", "reason", "ticket")
    list_filter = ("status", "reason", "mailbox")
    search_fields = ("message_id", "=from_address", "subject")
    date_hierarchy = "received_at"
    list_select_related = ("mailbox", "ticket")
    fields = (
        "mailbox",
        "message_id",
        "received_at",
        "sender",
        "subject",
        "size",
        "status",
        "reason",
        "ticket",
        "ticket_message",
        "released_at",
        "full_text",
    )
    readonly_fields = fields
    actions = ["release"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("from"), ordering="from_address")
    def sender(self, obj: InboundMessage) -> str:
        return mask_email(obj.from_address)

    @admin.action(description=_("Release the selected quarantined messages"), permissions=["change"])
    def release(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        released = 0
        for inbound in queryset.filter(status=InboundStatus.QUARANTINED):
            try:
                inbound_release(inbound=inbound)
            except (Undecodable, ApplicationError):
                self.message_user(
                    request, _("%(id)s cannot be read and stays quarantined.") % {"id": inbound.message_id}, "error"
                )
                continue
            released += 1
        self.message_user(
            request,
            ngettext("%(count)d message released.", "%(count)d messages released.", released) % {"count": released},
        )


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "ticket", "kind", "recipient", "subject", "status", "attempts", "last_error")
    list_filter = ("status", "kind")
    search_fields = ("message_id", "=to_address", "subject")
    list_select_related = ("ticket",)
    fields = readonly_fields = [
        "recipient" if field.name == "to_address" else field.name for field in OutboundEmail._meta.fields
    ]

    @admin.display(description=_("to"), ordering="to_address")
    def recipient(self, obj: OutboundEmail) -> str:
        return mask_email(obj.to_address)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

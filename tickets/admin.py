"""Admin for the ticket core's settings-like models, and read-only views of what the services write.

Storefronts are created through `storefront_create` (so they get a secret and a first key), keys through
`api_key_create` and revoked through `api_key_revoke`, deliveries resent through `webhook_resend`. Tickets,
customers, events and deliveries are browsed here, never edited: their only writers are the services.
Customer text is shown as plain text (the admin escapes it); nothing here marks it safe.
"""

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets import services
from tickets.masking import mask_email, mask_phone
from tickets.models import (
    ApiKey,
    CannedResponse,
    Customer,
    Message,
    RoutingRule,
    SalesStat,
    StaffProfile,
    StaffToken,
    Storefront,
    Survey,
    Team,
    Ticket,
    TicketEvent,
    WebhookDelivery,
)
from tickets.services import signin as signin_services


class ReadOnlyAdmin(admin.ModelAdmin):
    """Browse only: rows written by the services are never added, edited or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Storefronts and keys


# A new storefront gets its secret and first key from `storefront_create`; only these are asked for.
STOREFRONT_ADD_FIELDS = ("name", "webhook_url", "language")


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    fields = ("name", "prefix", "created_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Storefront)
class StorefrontAdmin(admin.ModelAdmin):
    list_display = ("name", "webhook_url", "language", "is_active", "active_keys", "created_at")
    list_filter = ("is_active", "language")
    search_fields = ("name",)
    fields = ("name", "webhook_url", "language", "is_active", "webhook_secret", "created_at")
    readonly_fields = ("webhook_secret", "created_at")
    inlines = [ApiKeyInline]
    actions = ["create_api_key"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Storefront]:
        return (
            super().get_queryset(request).annotate(_active_keys=Count("api_keys", filter=Q(api_keys__revoked_at=None)))
        )

    @admin.display(description=_("active API keys"), ordering="_active_keys")
    def active_keys(self, obj: Storefront) -> int:
        return obj._active_keys

    def get_form(self, request: HttpRequest, obj: Storefront | None = None, **kwargs: Any) -> type[forms.ModelForm]:
        if obj is None:
            kwargs["fields"] = STOREFRONT_ADD_FIELDS
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Storefront | None = None) -> Any:
        return STOREFRONT_ADD_FIELDS if obj is None else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: Storefront | None = None) -> Any:
        return () if obj is None else self.readonly_fields

    def get_inlines(self, request: HttpRequest, obj: Storefront | None) -> list:
        return [] if obj is None else self.inlines

    def save_model(self, request: HttpRequest, obj: Storefront, form: forms.ModelForm, change: bool) -> None:
        if change:
            # URL, language and the active flag are plain settings; the secret is read-only.
            super().save_model(request, obj, form, change)
            return
        storefront, key = services.storefront_create(
            name=form.cleaned_data["name"],
            webhook_url=form.cleaned_data["webhook_url"],
            language=form.cleaned_data["language"],
        )
        # The admin goes on with `obj` (log entry, redirect): make it the row the service created.
        obj.pk = storefront.pk
        obj.webhook_secret = storefront.webhook_secret
        obj.created_at = storefront.created_at
        obj._state.adding = False
        self._show_key(request, storefront, key)

    @admin.action(description=_("Create a new API key"), permissions=["change"])
    def create_api_key(self, request: HttpRequest, queryset: QuerySet[Storefront]) -> None:
        for storefront in queryset:
            _api_key, key = services.api_key_create(storefront=storefront, name=f"admin:{request.user.get_username()}")
            self._show_key(request, storefront, key)

    def _show_key(self, request: HttpRequest, storefront: Storefront, key: str) -> None:
        self.message_user(
            request,
            _("API key for %(storefront)s, shown only this once: %(key)s") % {"storefront": storefront, "key": key},
            messages.WARNING,
        )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("prefix", "storefront", "name", "created_at", "revoked_at", "is_active")
    list_filter = ("storefront", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("storefront",)
    search_fields = ("prefix", "name", "storefront__name")
    fields = ("storefront", "name", "prefix", "created_at", "revoked_at")
    readonly_fields = ("storefront", "prefix", "created_at", "revoked_at")
    actions = ["revoke"]

    @admin.display(description=_("active"), boolean=True)
    def is_active(self, obj: ApiKey) -> bool:
        return obj.is_active

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A key is shown once when it is made: from the storefront list's action, or `create_api_key`.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the row stays as the record of the key

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            services.api_key_revoke(api_key=api_key)
            revoked += 1
        self.message_user(
            request, ngettext("%(n)d key revoked.", "%(n)d keys revoked.", revoked) % {"n": revoked}, messages.SUCCESS
        )


# Teams, people, routing, wording


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "name_zh", "is_default", "member_count")
    search_fields = ("name", "name_zh")
    filter_horizontal = ("members",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return super().get_queryset(request).annotate(_members=Count("members"))

    @admin.display(description=_("members"), ordering="_members")
    def member_count(self, obj: Team) -> int:
        return obj._members


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "language", "time_zone", "is_available")
    list_filter = ("is_available", "language")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__first_name", "user__last_name")
    readonly_fields = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made with the user by `staff_create`


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("title", "team", "is_active")
    list_filter = ("is_active", "team")
    list_select_related = ("team",)
    search_fields = ("title", "body", "body_zh")
    fields = ("title", "team", "body", "body_zh", "is_active")

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in ("body", "body_zh"):
            field.help_text = _("Placeholders: {customer_name} {reference} {order_id} {agent_name}")
        return field


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "kind", "category", "severity", "channel", "storefront", "team", "is_active")
    list_display_links = ("team",)
    list_editable = ("position", "is_active")
    list_filter = ("is_active", "team")
    list_select_related = ("team", "storefront")


# Read-only views of what the services write


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    """E-mail and phone masked here as on the desk (the full ones are revealed on a ticket, where it is logged);
    searching by the whole address or number still finds the customer."""

    list_display = ("name", "masked_email", "masked_phone", "external_id", "storefront", "created_at", "erased_at")
    list_filter = ("storefront", ("erased_at", admin.EmptyFieldListFilter))
    list_select_related = ("storefront",)
    search_fields = ("name", "=email", "=phone", "external_id")
    fields = list_display
    readonly_fields = list_display

    @admin.display(description=_("e-mail"))
    def masked_email(self, obj: Customer) -> str:
        return mask_email(obj.email)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj: Customer) -> str:
        return mask_phone(obj.phone)


class MessageInline(admin.TabularInline):
    model = Message
    fk_name = "ticket"
    fields = ("created_at", "kind", "author", "channel", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("created_at", "id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        return super().get_queryset(request).select_related("author")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "subject",
        "status",
        "kind",
        "category",
        "severity",
        "channel",
        "storefront",
        "team",
        "assignee",
        "created_at",
    )
    list_filter = ("status", "kind", "category", "severity", "channel", "team", "storefront")
    list_select_related = ("storefront", "team", "assignee")
    search_fields = ("=reference", "subject", "order_external_id", "customer__name", "customer__email")
    # No date_hierarchy: its DISTINCT over every ticket's date is a full scan at a million rows.
    show_full_result_count = False
    readonly_fields = ("desk_link",)
    inlines = [MessageInline]

    @admin.display(description=_("in the desk"))
    def desk_link(self, obj: Ticket) -> str:
        # Only the generated reference goes into the link, escaped by format_html anyway.
        return format_html('<a href="{}">{}</a>', reverse("tickets:ticket", args=[obj.reference]), obj.reference)


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "ticket", "kind", "actor_type", "actor_user", "actor_storefront")
    list_filter = ("kind", "actor_type")
    list_select_related = ("ticket", "actor_user", "actor_storefront")
    search_fields = ("=ticket__reference",)
    show_full_result_count = False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "event_type",
        "storefront",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
        "delivered_at",
    )
    list_filter = ("status", "event_type", "storefront")
    list_select_related = ("storefront",)
    search_fields = ("=event_id", "ordering_key")
    fields = (
        "storefront",
        "event_type",
        "event_id",
        "ordering_key",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "created_at",
        "next_attempt_at",
        "give_up_at",
        "delivered_at",
        "body",
    )
    readonly_fields = fields
    actions = ["resend"]

    @admin.display(description=_("body"))
    def body(self, obj: WebhookDelivery) -> str:
        # Plain text: the admin escapes it (the payload carries customer messages).
        return json.dumps(obj.payload, indent=2, ensure_ascii=False)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Resend the selected deliveries"), permissions=["change"])
    def resend(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = 0
        for delivery in queryset:
            services.webhook_resend(delivery=delivery)
            count += 1
        self.message_user(
            request,
            ngettext("%(n)d delivery queued to be sent again.", "%(n)d deliveries queued to be sent again.", count)
            % {"n": count},
            messages.SUCCESS,
        )


# Daily sales and satisfaction surveys


class SalesStatForm(forms.ModelForm):
    currency = forms.RegexField(
        regex=r"^[A-Z]{3}$",
        max_length=3,
        error_messages={"invalid": _("Three upper-case letters, e.g. CNY.")},
        help_text=_("ISO 4217, e.g. CNY."),
    )

    class Meta:
        model = SalesStat
        fields = ("storefront", "date", "orders", "revenue", "currency")


@admin.register(SalesStat)
class SalesStatAdmin(admin.ModelAdmin):
    """Corrections by hand to the figures storefronts send through PUT /api/v1/sales-stats/{date}/."""

    form = SalesStatForm
    list_display = ("date", "storefront", "orders", "revenue", "currency", "updated_at")
    list_filter = ("storefront", "currency")
    list_select_related = ("storefront",)
    date_hierarchy = "date"
    ordering = ("-date", "storefront__name")
    fields = ("storefront", "date", "orders", "revenue", "currency", "created_at", "updated_at")
    readonly_fields = ("created_at", "updated_at")

    def save_model(self, request: HttpRequest, obj: SalesStat, form: forms.ModelForm, change: bool) -> None:
        now = timezone.now()
        if not change:
            obj.created_at = now
        obj.updated_at = now
        super().save_model(request, obj, form, change)


class AnsweredFilter(admin.SimpleListFilter):
    title = _("answered")
    parameter_name = "answered"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Answered")), ("no", _("Not answered"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Survey]) -> QuerySet[Survey]:
        if self.value() == "yes":
            return queryset.filter(answered_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(answered_at__isnull=True)
        return queryset


SURVEY_SCORES = (
    "overall",
    "response_speed",
    "attitude",
    "resolution_efficiency",
    "process_convenience",
    "channel",
)


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    """What customers answered. The token is the customer's key to the survey and is never shown here."""

    list_display = ("ticket_link", "storefront", "created_at", "answered_at", *SURVEY_SCORES, "short_comment")
    list_filter = (AnsweredFilter, "overall", "ticket__storefront")
    list_select_related = ("ticket__storefront",)
    search_fields = ("=ticket__reference",)
    show_full_result_count = False
    ordering = ("-created_at",)
    fields = (
        "ticket_link",
        "storefront",
        "created_at",
        "emailed_at",
        "expires_at",
        "answered_at",
        *SURVEY_SCORES,
        "comment",
    )
    readonly_fields = fields

    @admin.display(description=_("ticket"), ordering="ticket__reference")
    def ticket_link(self, obj: Survey) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("tickets:ticket", args=[obj.ticket.reference]), obj.ticket.reference
        )

    @admin.display(description=_("storefront"))
    def storefront(self, obj: Survey) -> str:
        return obj.ticket.storefront.name

    @admin.display(description=_("comment"))
    def short_comment(self, obj: Survey) -> str:
        # Plain text, escaped by the admin: the comment is the customer's own words.
        return Truncator(obj.comment).chars(80)


# Sign-in: staff API tokens (issued by `create_staff` and on the preferences page, shown once there)


@admin.register(StaffToken)
class StaffTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "created_at", "revoked_at", "is_active")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("user",)
    search_fields = ("prefix", "user__username")
    fields = ("user", "prefix", "created_at", "revoked_at")
    readonly_fields = ("user", "prefix", "created_at", "revoked_at")
    actions = ["revoke"]

    @admin.display(description=_("active"), boolean=True)
    def is_active(self, obj: StaffToken) -> bool:
        return obj.is_active

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a token is shown once when it is issued: `create_staff`, or its user's preferences page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the row stays as the record of the token

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[StaffToken]) -> None:
        revoked = 0
        for staff_token in queryset.filter(revoked_at__isnull=True).select_related("user"):
            revoked += signin_services.staff_token_revoke(user=staff_token.user)
        self.message_user(
            request,
            ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", revoked) % {"n": revoked},
            messages.SUCCESS,
        )


# The e-mail channel's admin (mailboxes, inbound e-mails, the mail outbox), in its own module.
from tickets import mail_admin  # noqa: E402, F401
from tickets.models import ChatChannel, ChatDelivery, TimeRule, Trigger  # noqa: E402


@admin.register(ChatChannel)
class ChatChannelAdmin(admin.ModelAdmin):
    """Chat channels are created and checked in the desk (/desk/automation/: the URL must be a public http(s) one);
    here they can be switched off. The secret is never shown."""

    list_display = ("name", "kind", "language", "is_active", "created_at")
    list_editable = ("is_active",)
    fields = ("name", "kind", "url", "language", "is_active")
    readonly_fields = ("name", "kind", "url", "language")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ChatDelivery)
class ChatDeliveryAdmin(admin.ModelAdmin):
    """The log of chat messages: what went to which group, how many attempts, the last error (read-only)."""

    list_display = ("title", "channel", "status", "attempts", "last_status_code", "created_at", "delivered_at")
    list_filter = ("status", "channel")
    list_select_related = ("channel",)
    fields = (
        "channel",
        "ticket",
        "title",
        "text",
        "link",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "created_at",
        "next_attempt_at",
        "give_up_at",
        "delivered_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class _RuleAdmin(admin.ModelAdmin):
    """Rules are edited in the desk (/desk/automation/), where their conditions and actions are checked; here they
    are listed and can be switched off."""

    list_display = ("name", "position", "is_active", "failures", "updated_at")
    list_editable = ("is_active",)
    readonly_fields = ("name", "position", "conditions", "actions", "failures", "last_error")
    fields = ("name", "is_active", "position", "conditions", "actions", "failures", "last_error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Trigger)
class TriggerAdmin(_RuleAdmin):
    list_display = ("name", "event", "position", "is_active", "failures", "updated_at")
    readonly_fields = ("name", "event", "position", "conditions", "actions", "failures", "last_error")
    fields = ("name", "event", "is_active", "position", "conditions", "actions", "failures", "last_error")


@admin.register(TimeRule)
class TimeRuleAdmin(_RuleAdmin):
    pass

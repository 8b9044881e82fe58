"""A small desk built only through the storefront and desk APIs, as a storefront and staff would build it: an inquiry,
a complaint and a return with its refund, each answered, resolved and surveyed, with SLA alerts raised by a sweep.

`build_world(customer=None)` makes every object without a customer (and some without a team or an assignee), for the
pages that must render whatever is missing; `build_world(customer={...})` makes them for one full customer, for the
erasure tests.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from alerts.models import Alert
from alerts.report_views import TABLES as REPORT_TABLES
from alerts.services import sla_sweep
from complaints.models import Complaint
from returns.models import Refund, ReturnPolicy, ReturnRequest
from tests.tickets.test_views import tiny_png
from tickets.models import (
    Customer,
    InboundMessage,
    Survey,
    Team,
    Ticket,
    TicketEvent,
    TimeRule,
    Trigger,
    WebhookDelivery,
)


@dataclass
class World:
    inquiry: Ticket
    teamless: Ticket
    unassigned: Ticket
    resolved: Ticket
    complaint: Complaint
    return_request: ReturnRequest
    refund: Refund
    survey: Survey
    tickets: list[Ticket] = field(default_factory=list)


def _ok(response: Any, status: int = 201) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json()


def _ticket(body: dict[str, Any]) -> Ticket:
    return Ticket.objects.get(public_id=body["id"])


def build_world(
    *,
    storefront_client: APIClient,
    supervisor_api: APIClient,
    agent_api: APIClient,
    team: Team,
    customer: dict[str, Any] | None = None,
    said: str = "",
) -> World:
    """Every object through the API. `said` is put in every free text the customer writes (to look for it later)."""
    who = {"customer": customer} if customer else {}

    # A ticket routed to no team: the installation has no default team at that moment.
    Team.objects.filter(pk=team.pk).update(is_default=False)
    teamless = _ticket(
        _ok(
            storefront_client.post(
                "/api/v1/tickets/",
                {"subject": f"Lost parcel {said}", "body": f"Nothing came. {said}", "category": "logistics"} | who,
                format="json",
            )
        )
    )
    Team.objects.filter(pk=team.pk).update(is_default=True)

    inquiry = _ticket(
        _ok(
            storefront_client.post(
                "/api/v1/tickets/",
                {"subject": f"Where is my kettle {said}", "body": f"Ordered Monday. {said}", "category": "logistics"}
                | who,
                format="json",
            )
        )
    )
    _ok(
        storefront_client.post(
            f"/api/v1/tickets/{inquiry.public_id}/messages/", {"body": f"Any news? {said}"}, format="json"
        )
    )
    _ok(
        agent_api.post(
            f"/api/v1/desk/tickets/{inquiry.reference}/reply/", {"body": "It ships tomorrow."}, format="json"
        )
    )
    _ok(
        agent_api.post(
            f"/api/v1/desk/tickets/{inquiry.reference}/notes/", {"body": "Checked the warehouse."}, format="json"
        )
    )

    unassigned = _ticket(
        _ok(
            storefront_client.post(
                "/api/v1/tickets/",
                {"subject": f"Invoice please {said}", "body": f"For my company. {said}", "category": "payment"} | who,
                format="json",
            )
        )
    )
    _ok(
        supervisor_api.post(f"/api/v1/desk/tickets/{unassigned.reference}/assign/", {"assignee": None}, format="json"),
        200,
    )

    resolved = _ticket(
        _ok(
            storefront_client.post(
                "/api/v1/tickets/",
                {"subject": f"Wrong colour {said}", "body": f"I wanted red. {said}", "category": "product_quality"}
                | who,
                format="json",
            )
        )
    )
    _ok(
        agent_api.post(
            f"/api/v1/desk/tickets/{resolved.reference}/reply/",
            {"body": "We will send a red one.", "status": "resolved"},
            format="json",
        )
    )
    survey = Survey.objects.get(ticket=resolved)
    answered = Client().post(f"/s/{survey.token}/", {"overall": "5", "attitude": "4", "comment": f"Fast! {said}"})
    assert answered.status_code == 200, answered.content[:300]

    complaint_body = _ok(
        storefront_client.post(
            "/api/v1/complaints/",
            {"category": "service", "severity": "severe", "body": f"Rude on the phone. {said}"} | who,
            format="json",
        )
    )
    complaint = Complaint.objects.select_related("ticket").get(public_id=complaint_body["id"])
    _ok(agent_api.post(f"/api/v1/desk/complaints/{complaint.reference}/investigate/", {}, format="json"), 200)

    # The shop refunds at approval, before the item is back: the return gets its refund at once.
    ReturnPolicy.objects.update_or_create(storefront=inquiry.storefront, defaults={"advance_refund": True})
    delivered = timezone.now() - timedelta(days=2)
    return_body = _ok(
        storefront_client.post(
            "/api/v1/returns/",
            {
                "order": {
                    "external_id": "SO-77",
                    "placed_at": (delivered - timedelta(days=2)).isoformat(),
                    "delivered_at": delivered.isoformat(),
                    "currency": "CNY",
                    "lines": [
                        {"external_id": "L1", "sku": "KET-01", "name": "Kettle", "quantity": 1, "unit_price": "199.00"}
                    ],
                },
                "items": [{"line": "L1", "quantity": 1, "reason": "quality_issue", "original_packaging": True}],
                "resolution": "refund",
                "description": f"It leaks. {said}",
            }
            | who,
            format="json",
        )
    )
    return_request = ReturnRequest.objects.select_related("ticket").get(public_id=return_body["id"])
    photo = SimpleUploadedFile("leak.png", tiny_png(), content_type="image/png")
    _ok(
        storefront_client.post(
            f"/api/v1/returns/{return_request.public_id}/attachments/", {"file": photo}, format="multipart"
        )
    )
    refund = Refund.objects.get(return_request=return_request)

    # SLA alerts on all of them: a sweep a day later finds every clock breached, and the severe complaint.
    sla_sweep(now=timezone.now() + timedelta(days=1))

    tickets = [teamless, inquiry, unassigned, resolved, complaint.ticket, return_request.ticket]
    return World(
        inquiry=inquiry,
        teamless=teamless,
        unassigned=unassigned,
        resolved=resolved,
        complaint=complaint,
        return_request=return_request,
        refund=refund,
        survey=survey,
        tickets=[Ticket.objects.get(pk=ticket.pk) for ticket in tickets],
    )


def text_of(response: Any) -> str:
    """A page or a download as text; streaming answers (files) read whole."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _patterns(resolvers: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for entry in resolvers:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _patterns(entry.url_patterns, route)
        else:
            found.append((route, entry))
    return found


PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _values(world: World) -> dict[str, list[str]]:
    """Real values for each path parameter name: every reference kind for `reference`, and so on."""
    tickets = [ticket.reference for ticket in world.tickets]
    attachment = world.return_request.ticket.attachments.first()
    return {
        "reference": [*tickets, world.return_request.reference, world.complaint.reference],
        "id": [
            str(world.inquiry.public_id),
            str(world.return_request.public_id),
            str(world.refund.public_id),
            str(world.complaint.public_id),
            world.complaint.reference,
            str(Alert.objects.filter(ticket__isnull=False).first().pk),
        ],
        "refund_id": [str(world.refund.public_id)],
        "alert_id": [str(pk) for pk in Alert.objects.values_list("pk", flat=True)[:3]],
        # An attachment deleted since (erasure, retention) leaves its id to a 404.
        "attachment_id": [str(attachment.pk) if attachment else "999999"],
        "token": [world.survey.token],
        "table": list(REPORT_TABLES),
        "step": ["investigate", "propose", "archive"],
        "canned_id": ["1"],
        "date": ["2026-01-02"],
        "external_id": ["C-none", "C-only-id"],
        # Power tools: a bulk job, a macro, a saved view (none in the world: each a 404, and a huge id too).
        "job_id": ["1", "9" * 18],
        "macro_id": ["1", "9" * 18],
        "view_id": ["1", "9" * 18],
        # Automation pages: both kinds of rule, with the shipped examples' ids (and one that does not exist).
        "kind": ["triggers", "time-rules"],
        "rule_id": [
            *(str(pk) for pk in Trigger.objects.order_by("pk").values_list("pk", flat=True)[:1]),
            *(str(pk) for pk in TimeRule.objects.order_by("pk").values_list("pk", flat=True)[:1]),
            "999999",
        ],
        # The e-mail channel: a development outbox file and message, a kept mail, a provider's inbound webhook.
        "name": ["none.log"],
        "index": ["0"],
        "inbound_id": [str(InboundMessage.objects.values_list("pk", flat=True).first() or 999999)],
        "provider": ["mailgun", "postmark"],
    }


# What a fuzzer puts in a path besides real ids: a NUL byte, a control character, a string longer than any column.
HOSTILE = ("%00", "T-%00", "R-%00", "C-%00", "a%0Ab", "x" * 300)


def desk_paths(world: World, *, hostile: bool = False) -> list[str]:
    """Every URL pattern of the site with its path parameters filled by the world's objects (each reference kind
    for `reference`, and so on), and the admin's pages of them; with `hostile`, each string parameter also filled
    with each of HOSTILE."""
    values = _values(world)
    if hostile:
        values = {
            name: [*found, *HOSTILE]
            if name not in ("alert_id", "attachment_id", "rule_id", "inbound_id", "index")
            else found
            for name, found in values.items()
        }
    paths = []
    for route, _pattern in _patterns(get_resolver().url_patterns):
        if route.startswith(("admin/", "static/", "media/", "^")):
            continue
        names = [match.group("name") for match in PARAM.finditer(route)]
        combos = [route]
        for name in names:
            assert name in values, f"no value to fill <{name}> in {route}"
            combos = [
                re.sub(rf"<(?:[^>:]+:)?{name}>", value, combo, count=1) for combo in combos for value in values[name]
            ]
        paths += ["/" + combo.replace(".csv$", ".csv") for combo in combos]
    # The admin: every list, and the change and history pages of the world's objects and of each model's first row.
    objects = [*world.tickets, world.return_request, world.refund, world.complaint, world.survey]
    objects += list(Customer.objects.filter(tickets__in=world.tickets).distinct())
    objects += list(TicketEvent.objects.filter(ticket__in=world.tickets))
    objects += list(WebhookDelivery.objects.all()) + list(Alert.objects.filter(ticket__in=world.tickets))
    for model in admin.site._registry:
        opts = model._meta
        paths.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        first = model.objects.order_by("pk").first()
        objects += [first] if first is not None else []
    for obj in objects:
        opts = obj._meta
        if obj.__class__ in admin.site._registry:
            paths.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
            paths.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk]))
    return sorted(set(paths))

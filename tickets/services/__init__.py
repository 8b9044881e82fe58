"""Every write of the ticket core. Views, API views, tasks and commands call these; nothing else writes."""

from tickets.services.clocks import clock_start, clock_stop
from tickets.services.storefronts import (
    api_key_create,
    api_key_revoke,
    staff_create,
    staff_set_preferences,
    storefront_create,
)
from tickets.services.tickets import (
    agent_load_recount,
    canned_response_render,
    customer_upsert,
    ticket_acknowledge,
    ticket_add_customer_message,
    ticket_add_note,
    ticket_assign,
    ticket_change_category,
    ticket_change_severity,
    ticket_change_status,
    ticket_create,
    ticket_record_event,
    ticket_reply,
    tickets_auto_close,
)
from tickets.services.webhooks import webhook_deliver, webhook_enqueue, webhook_resend, webhooks_dispatch_due

__all__ = [
    "agent_load_recount",
    "api_key_create",
    "api_key_revoke",
    "canned_response_render",
    "clock_start",
    "clock_stop",
    "customer_upsert",
    "staff_create",
    "staff_set_preferences",
    "storefront_create",
    "ticket_acknowledge",
    "ticket_add_customer_message",
    "ticket_add_note",
    "ticket_assign",
    "ticket_change_category",
    "ticket_change_severity",
    "ticket_change_status",
    "ticket_create",
    "ticket_record_event",
    "ticket_reply",
    "tickets_auto_close",
    "webhook_deliver",
    "webhook_enqueue",
    "webhook_resend",
    "webhooks_dispatch_due",
]

"""Every write of the ticket core. Views, API views, tasks, commands and the other apps call these; nothing else
writes.

- `lifecycle`: ticket creation and the one mover of status, acknowledgement, answers and SLA clocks.
- `messages`: replies, notes, customer messages, attachments, the acknowledgement message, canned responses.
- `assignment` (and `routing`, which chooses): teams and assignees.
- `tags`: labels on tickets.
- `customers`, `events`, `webhooks`, `surveys`, `storefronts`, `sales`, `privacy`, `signin`: what their names say.
"""

from tickets.services.assignment import ticket_assign, ticket_change_category, ticket_change_severity
from tickets.services.customers import customer_upsert
from tickets.services.events import SYSTEM, Actor, ticket_event, ticket_record_event
from tickets.services.lifecycle import (
    clock_start,
    clock_stop,
    ticket_change_status,
    ticket_create,
    ticket_lock,
    ticket_move,
    tickets_auto_close,
)
from tickets.services.messages import (
    attachment_add,
    canned_response_render,
    ticket_acknowledge,
    ticket_add_customer_message,
    ticket_add_note,
    ticket_reply,
)
from tickets.services.privacy import (
    attachments_purge_expired,
    customer_erase,
    customer_reveal,
    register_erasure_part,
)
from tickets.services.signin import staff_token_issue, staff_token_revoke
from tickets.services.storefronts import (
    api_key_create,
    api_key_revoke,
    staff_create,
    staff_set_preferences,
    storefront_create,
)
from tickets.services.tags import tags_validate, ticket_tags_change
from tickets.services.webhooks import (
    ticket_ordering_key,
    ticket_ref,
    webhook_deliver,
    webhook_enqueue,
    webhook_resend,
    webhooks_dispatch_due,
)

__all__ = [
    "SYSTEM",
    "Actor",
    "api_key_create",
    "api_key_revoke",
    "attachment_add",
    "attachments_purge_expired",
    "canned_response_render",
    "clock_start",
    "clock_stop",
    "customer_erase",
    "customer_reveal",
    "customer_upsert",
    "register_erasure_part",
    "staff_create",
    "staff_set_preferences",
    "staff_token_issue",
    "staff_token_revoke",
    "storefront_create",
    "tags_validate",
    "ticket_acknowledge",
    "ticket_add_customer_message",
    "ticket_add_note",
    "ticket_assign",
    "ticket_change_category",
    "ticket_change_severity",
    "ticket_change_status",
    "ticket_create",
    "ticket_event",
    "ticket_lock",
    "ticket_move",
    "ticket_ordering_key",
    "ticket_record_event",
    "ticket_ref",
    "ticket_reply",
    "ticket_tags_change",
    "tickets_auto_close",
    "webhook_deliver",
    "webhook_enqueue",
    "webhook_resend",
    "webhooks_dispatch_due",
]

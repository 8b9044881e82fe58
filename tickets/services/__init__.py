"""Every write of the ticket core. Views, API views, tasks, commands and the other apps call these; nothing else
writes.

- `lifecycle`: ticket creation and the one mover of status, acknowledgement, answers and SLA clocks.
- `messages`: replies, notes, customer messages, attachments, the acknowledgement message, canned responses.
- `assignment` (and `routing`, which chooses): teams and assignees.
- `merge`: merge, link and split tickets; `views`: saved views (queue tabs); `macros`.
- `tags`: labels on tickets; `bulk`: the same actions on many tickets, at once or as a background job.
- `collision`: the check that holds an action taken without having seen the customer's or a colleague's message.
- `customers`, `events`, `webhooks`, `surveys`, `storefronts`, `sales`, `privacy`, `signin`: what their names say.
"""

from tickets.services.actions import actions_apply, actions_validate
from tickets.services.assignment import ticket_assign, ticket_change_category, ticket_change_severity
from tickets.services.automation import automation_event, automation_listens
from tickets.services.bulk import (
    bulk_job_create,
    bulk_job_run,
    bulk_references,
    bulk_tickets_found,
    tickets_bulk_apply,
)
from tickets.services.collision import TicketChanged, ticket_check_seen
from tickets.services.customers import customer_upsert
from tickets.services.events import SYSTEM, Actor, ticket_event, ticket_events_save, ticket_record_event
from tickets.services.lifecycle import (
    clock_start,
    clock_stop,
    ticket_change_status,
    ticket_create,
    ticket_lock,
    ticket_move,
    tickets_auto_close,
)
from tickets.services.macros import macro_apply, macro_bulk_actions, macro_create, macro_delete, macro_update
from tickets.services.merge import register_merge_part, ticket_link, ticket_merge, ticket_split
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
from tickets.services.views import saved_view_create, saved_view_delete, saved_view_update
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
    "TicketChanged",
    "actions_apply",
    "actions_validate",
    "api_key_create",
    "api_key_revoke",
    "attachment_add",
    "attachments_purge_expired",
    "automation_event",
    "automation_listens",
    "bulk_job_create",
    "bulk_job_run",
    "bulk_references",
    "bulk_tickets_found",
    "canned_response_render",
    "clock_start",
    "clock_stop",
    "customer_erase",
    "customer_reveal",
    "customer_upsert",
    "macro_apply",
    "macro_bulk_actions",
    "macro_create",
    "macro_delete",
    "macro_update",
    "register_erasure_part",
    "register_merge_part",
    "saved_view_create",
    "saved_view_delete",
    "saved_view_update",
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
    "ticket_check_seen",
    "ticket_create",
    "ticket_event",
    "ticket_events_save",
    "ticket_link",
    "ticket_lock",
    "ticket_merge",
    "ticket_move",
    "ticket_ordering_key",
    "ticket_record_event",
    "ticket_ref",
    "ticket_reply",
    "ticket_split",
    "ticket_tags_change",
    "tickets_auto_close",
    "tickets_bulk_apply",
    "webhook_deliver",
    "webhook_enqueue",
    "webhook_resend",
    "webhooks_dispatch_due",
]

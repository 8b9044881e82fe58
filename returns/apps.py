from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = _("Returns and refunds")

    def ready(self) -> None:
        # Show the return's panel on its ticket page and the queues in the desk navigation (tickets never imports
        # returns: this app registers itself).
        from returns.panels import build_return_panel
        from tickets import roles
        from tickets.panels import register_nav_item, register_ticket_panel

        register_ticket_panel(kind="return", build=build_return_panel, order=10)
        # The order beside every ticket that names one (page and desk API).
        from returns.context import build_order_context
        from tickets.panels import register_ticket_context

        register_ticket_context(key="order", build=build_order_context)
        # The desk's search finds a return's ticket by the return's reference.
        from returns.models import ReturnRequest
        from tickets.panels import register_reference

        register_reference(
            prefix="R-",
            ticket_ids=lambda reference: ReturnRequest.objects.filter(reference=reference).values("ticket_id"),
        )
        # The timeline's lines about returns and refunds, in the reader's language.
        from returns.models import RefundStatus, ReturnStatus
        from tickets.panels import register_event_values

        actions = {
            "created": _("created"),
            "evidence_added": _("evidence added"),
            "exchange_requested": _("exchange requested"),
            "lowered": _("amount lowered"),
            "status_changed": _("status changed"),
        }
        register_event_values(kind="return", labels={**dict(ReturnStatus.choices), **actions})
        register_event_values(kind="refund", labels={**dict(RefundStatus.choices), **actions})
        # Finance has no ticket queue: it lands on the refunds to issue and settle.
        from tickets.panels import register_landing_page

        register_landing_page(url_name="returns:refunds", applies=roles.is_finance)
        # Privacy: a customer's erasure (tickets.services.privacy) erases their returns too.
        from returns.services.privacy import erase_customer_returns
        from tickets.services.privacy import register_erasure_part

        register_erasure_part("returns", erase_customer_returns)
        # A merged ticket's return moves to the ticket it was merged into (tickets.services.merge).
        from returns.services.merge import return_follow_merged_ticket
        from tickets.services.merge import register_merge_part

        register_merge_part("returns", return_follow_merged_ticket)
        # Return policies are settings every return create reads (tickets.settings_cache).
        from returns.models import ReturnPolicy
        from tickets import settings_cache

        settings_cache.connect(ReturnPolicy)
        settings_cache.STOREFRONT_CALL.append("return_policies")
        register_nav_item(label=_("Returns"), url_name="returns:queue", visible=roles.is_staff_member, order=20)
        register_nav_item(
            label=_("Refunds"),
            url_name="returns:refunds",
            visible=lambda user: roles.is_finance(user) or roles.is_supervisor(user),
            order=25,
        )

"""Celery tasks of the ticket core: ids and plain values in, one service call each, safe to run twice."""

from celery import shared_task

from tickets import services


@shared_task(acks_late=True, ignore_result=True)
def deliver_webhook(delivery_id: int) -> str:
    return services.webhook_deliver(delivery_id=delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def dispatch_due_webhooks() -> int:
    return services.webhooks_dispatch_due()


@shared_task(acks_late=True, ignore_result=True)
def auto_close_resolved_tickets() -> int:
    return services.tickets_auto_close()


@shared_task(acks_late=True, ignore_result=True)
def purge_idempotency_records() -> int:
    from tickets.idempotency import idempotency_purge_expired

    return idempotency_purge_expired()

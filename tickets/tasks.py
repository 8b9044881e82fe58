"""Celery tasks of the ticket core: ids and plain values in, one service call each, safe to run twice."""

import smtplib

from celery import shared_task

from tickets import services
from tickets.services.surveys import survey_send_email, surveys_email_pending


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
def purge_expired_attachments() -> int:
    from tickets.services.privacy import attachments_purge_expired

    return attachments_purge_expired()


@shared_task(acks_late=True, ignore_result=True)
def purge_idempotency_records() -> int:
    from tickets.idempotency import idempotency_purge_expired

    return idempotency_purge_expired()


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OSError, smtplib.SMTPException),
    retry_backoff=60,
    max_retries=3,
)
def send_survey_email(survey_id: int) -> bool:
    """Safe to run twice: the survey is claimed before the e-mail goes out. A refusing or unreachable mail server
    releases the claim and is retried here, then by the catch-up."""
    return survey_send_email(survey_id=survey_id)


@shared_task(acks_late=True, ignore_result=True)
def send_pending_survey_emails() -> int:
    return surveys_email_pending()


@shared_task(acks_late=True, ignore_result=True)
def run_bulk_job(job_id: int) -> int:
    """Safe to run twice: each ticket's result is written with its change, and a re-run skips those done."""
    from tickets.services.bulk import bulk_job_run

    return bulk_job_run(job_id=job_id)


@shared_task(acks_late=True, ignore_result=True)
def deliver_chat_message(delivery_id: int) -> str:
    from tickets.services.chat import chat_deliver

    return chat_deliver(delivery_id=delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def dispatch_due_chat_messages() -> int:
    from tickets.services.chat import chat_dispatch_due

    return chat_dispatch_due()


@shared_task(acks_late=True, ignore_result=True)
def run_time_rules() -> dict[str, int]:
    from tickets.services.automation import time_rules_run

    return time_rules_run()


# The e-mail channel (email.md).
@shared_task(acks_late=True, ignore_result=True)
def fetch_mail() -> dict[str, int]:
    """Safe to run twice, even at once: a message is kept once per mailbox and Message-ID."""
    from tickets.services.mailboxes import mailboxes_fetch

    return mailboxes_fetch().as_dict()


@shared_task(acks_late=True, ignore_result=True)
def send_outbound_email(outbound_id: int) -> bool:
    """Safe to run twice: the row is claimed before sending; a second run finds it sent (or not yet due)."""
    from tickets.services.outbound import outbound_send

    return outbound_send(outbound_id=outbound_id)


@shared_task(acks_late=True, ignore_result=True)
def send_due_emails() -> int:
    from tickets.services.outbound import outbound_send_due

    return outbound_send_due()

"""Bulk actions (workspace.md): the same actions on many tickets, each ticket through the same services as a person's
single action (events, clocks, webhooks, permissions), each in its own transaction: all-or-nothing per ticket, and
one refusal never stops the others.

- `tickets_bulk_apply`: up to BULK_SYNC_MAX tickets, answered at once.
- `bulk_job_create` / `bulk_job_run`: up to BULK_JOB_MAX tickets, as a background job with progress and a result per
  ticket. The result row is written in the ticket's own transaction: a job run again (a worker lost mid-way, the
  task delivered twice) skips the tickets it did and never changes one twice.

Tickets are taken in id order and each transaction locks one ticket: two people bulk-editing overlapping tickets
wait for each other ticket by ticket, never in a cycle. A deadlock or serialization failure the database still
reports (from rows the services touch besides the ticket) is retried, never shown to the user.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import OperationalError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError, InvalidInput, NotPermitted
from tickets.models import BulkJob, BulkJobResult, BulkJobStatus, Ticket
from tickets.services.macros import actions_run, person_actions_validate

BULK_SYNC_MAX = 100
BULK_JOB_MAX = 10_000
# PostgreSQL's deadlock_detected and serialization_failure: the transaction is safe to run again.
_RETRYABLE = ("40P01", "40001")
_ATTEMPTS = 3


def bulk_actions_validate(actions: Any) -> list[dict[str, Any]]:
    """The bulk actions, checked once for all the tickets by the action vocabulary: 400 naming the path."""
    return person_actions_validate(actions)


def _apply(ticket: Ticket, actions: list[dict[str, Any]], *, user: AbstractUser, now: datetime) -> None:
    """The actions on one locked ticket, as the person would do them one by one (their permissions hold)."""
    actions_run(ticket=ticket, actions=actions, user=user, now=now)


def _retryable(exc: OperationalError) -> bool:
    cause = exc.__cause__
    return (getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)) in _RETRYABLE


def ticket_bulk_apply_one(
    *,
    user: AbstractUser,
    ticket_id: int,
    actions: list[dict[str, Any]],
    job: BulkJob | None = None,
    reference: str = "",
    now: datetime | None = None,
) -> str | None:
    """The actions on one ticket in its own transaction, all or none. Returns None when done, else the reason it
    was refused (nothing of it kept). With a `job`, the ticket's result row is written in the same transaction."""
    from tickets.selectors import tickets_visible_to

    now = now or timezone.now()
    error: str | None = None
    for attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                ticket = (
                    tickets_visible_to(user)
                    .select_for_update(of=("self",))
                    .select_related("storefront")
                    .filter(pk=ticket_id)
                    .first()
                )
                if ticket is None:
                    raise NotPermitted(_("No such ticket, or you may not change it."))
                _apply(ticket, actions, user=user, now=now)
                if job is not None:
                    BulkJobResult.objects.create(job=job, ticket_id=ticket_id, reference=ticket.reference, ok=True)
            return None
        except ApplicationError as exc:
            error = str(exc.message)
            break
        except OperationalError as exc:
            if not _retryable(exc) or attempt == _ATTEMPTS - 1:
                raise
    if job is not None:
        BulkJobResult.objects.create(
            job=job, ticket_id=ticket_id, reference=reference or str(ticket_id), ok=False, error=error[:500]
        )
    return error


def bulk_references(references: Sequence[str]) -> list[str]:
    """The references as the bulk reads them: trimmed, upper-case, each once, in the order given."""
    return list(dict.fromkeys(reference.strip().upper() for reference in references))


def tickets_bulk_apply(
    *, user: AbstractUser, references: Sequence[str], actions: Any, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Up to BULK_SYNC_MAX tickets at once: `[{"reference", "ok", "error"}]` in the order given, each ticket done
    in its own transaction, in id order."""
    checked = bulk_actions_validate(actions)
    wanted = bulk_references(references)
    if not wanted:
        raise InvalidInput(_("Give at least one ticket."), field="references")
    if len(wanted) > BULK_SYNC_MAX:
        raise InvalidInput(
            _("At most %(count)d tickets at once; more run as a background job.") % {"count": BULK_SYNC_MAX},
            field="references",
        )
    now = now or timezone.now()
    ids = dict(Ticket.objects.filter(reference__in=wanted).values_list("reference", "pk"))
    errors: dict[str, str | None] = {
        reference: _("No such ticket, or you may not change it.") for reference in wanted if reference not in ids
    }
    for reference, ticket_id in sorted(ids.items(), key=lambda item: item[1]):
        errors[reference] = ticket_bulk_apply_one(user=user, ticket_id=ticket_id, actions=checked, now=now)
    return [
        {"reference": reference, "ok": errors[reference] is None, "error": errors[reference]} for reference in wanted
    ]


def bulk_tickets_found(*, references: Sequence[str]) -> tuple[list[int], list[str]]:
    """For a job: the ids of the tickets with these references, and the references no ticket has."""
    wanted = bulk_references(references)
    ids = dict(Ticket.objects.filter(reference__in=wanted).values_list("reference", "pk"))
    return sorted(ids.values()), [reference for reference in wanted if reference not in ids]


@transaction.atomic
def bulk_job_create(
    *,
    user: AbstractUser,
    actions: Any,
    ticket_ids: Sequence[int],
    unknown_references: Sequence[str] = (),
    now: datetime | None = None,
) -> BulkJob:
    """A background job for up to BULK_JOB_MAX tickets; its task starts once the job is committed. References that
    name no ticket are refused at once, each with its result row, as a request of up to 100 answers them."""
    checked = bulk_actions_validate(actions)
    ids = sorted(set(ticket_ids))
    unknown = list(dict.fromkeys(unknown_references))
    if not ids and not unknown:
        raise InvalidInput(_("No tickets to change."), field="references")
    if len(ids) + len(unknown) > BULK_JOB_MAX:
        raise InvalidInput(
            _("At most %(count)d tickets in one bulk action.") % {"count": BULK_JOB_MAX}, field="references"
        )
    job = BulkJob.objects.create(
        user=user,
        actions=checked,
        ticket_ids=ids,
        total=len(ids) + len(unknown),
        failed=len(unknown),
        created_at=now or timezone.now(),
    )
    refused = _("No such ticket, or you may not change it.")
    BulkJobResult.objects.bulk_create(
        BulkJobResult(job=job, ticket=None, reference=reference, ok=False, error=refused) for reference in unknown
    )
    from tickets.tasks import run_bulk_job

    transaction.on_commit(lambda: run_bulk_job.delay(job.pk))
    return job


def _count_progress(job: BulkJob) -> None:
    counts = job.results.aggregate(succeeded=Count("id", filter=Q(ok=True)), failed=Count("id", filter=Q(ok=False)))
    BulkJob.objects.filter(pk=job.pk).update(**counts)
    job.succeeded, job.failed = counts["succeeded"], counts["failed"]


def bulk_job_run(*, job_id: int, batch_size: int = BULK_SYNC_MAX, now: datetime | None = None) -> int:
    """Run a job's remaining tickets in batches, the progress counted after each batch. Returns how many tickets
    this run did; safe to run twice (a finished job, or a ticket with a result, is skipped)."""
    job = BulkJob.objects.select_related("user").get(pk=job_id)
    if job.status == BulkJobStatus.DONE:
        return 0
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJobStatus.RUNNING)
    done = set(job.results.values_list("ticket_id", flat=True))
    todo = [ticket_id for ticket_id in job.ticket_ids if ticket_id not in done]
    references = dict(Ticket.objects.filter(pk__in=todo).values_list("pk", "reference"))
    ran = 0
    for start in range(0, len(todo), batch_size):
        for ticket_id in todo[start : start + batch_size]:
            ticket_bulk_apply_one(
                user=job.user,
                ticket_id=ticket_id,
                actions=job.actions,
                job=job,
                reference=references.get(ticket_id, ""),
                now=now,
            )
            ran += 1
        _count_progress(job)
    _count_progress(job)
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJobStatus.DONE, finished_at=now or timezone.now())
    return ran

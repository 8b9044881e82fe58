"""Satisfaction surveys: created when a ticket is resolved, e-mailed, answered once through an unguessable link.

Single use: `survey_answer` takes the survey's row lock, so of two submits racing on one token exactly one records
its answer and the other is told the survey is already answered. The e-mail is claimed (`emailed_at`) before it
is sent, so a task that runs twice, or the catch-up racing the after-commit task, sends it once.
"""

import logging
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.errors import ApplicationError, InvalidInput, NotFound
from tickets.models import SURVEY_DIMENSIONS, EventKind, Survey, Ticket
from tickets.services.events import ticket_record_event

logger = logging.getLogger(__name__)

SURVEY_LIFETIME = timedelta(days=14)
SCORES = range(1, 6)
COMMENT_MAX = 2000
# token_urlsafe(32): 43 characters of [A-Za-z0-9_-]. Anything else is not a token and never reaches the database.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,64}")
# The catch-up leaves the after-commit task this long before sending in its place, and gives up after a day.
EMAIL_GRACE = timedelta(minutes=2)
EMAIL_WINDOW = timedelta(hours=24)


class SurveyAnswered(ApplicationError):
    status_code = 410  # Gone: the link worked once and no longer does
    type = "survey_answered"


class SurveyExpired(ApplicationError):
    status_code = 410  # Gone: the link worked once and no longer does
    type = "survey_expired"


def survey_url(survey: Survey) -> str:
    """The customer's link: absolute, because it leaves the site in e-mails and webhooks."""
    return settings.SITE_URL.rstrip("/") + reverse("survey", args=[survey.token])


def survey_create(*, ticket: Ticket, now: datetime) -> Survey:
    """A fresh survey for this resolution. Called inside the resolving transaction: a reopened and resolved-again
    ticket gets a new survey, each with its own token (256 bits from the OS's generator). The e-mail goes out after
    commit; a broker outage or a failing task never undoes or blocks the resolve (the catch-up sends it later)."""
    survey = Survey.objects.create(
        ticket=ticket,
        assignee_id=ticket.assignee_id,
        token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + SURVEY_LIFETIME,
    )
    survey_id = survey.pk
    transaction.on_commit(lambda: _enqueue_email(survey_id))
    return survey


def _enqueue_email(survey_id: int) -> bool:
    from tickets.tasks import send_survey_email

    try:
        send_survey_email.delay(survey_id)
    except Exception:  # broker down, or (eager mode) the task itself failed: the catch-up task retries
        logger.warning("Could not send the e-mail of survey %s now; the catch-up will.", survey_id, exc_info=True)
        return False
    return True


def survey_get_by_token(*, token: str) -> Survey:
    """The survey behind a link, with its ticket and storefront (for the language); NotFound for anything else."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        raise NotFound(_("There is no survey at this address."))
    try:
        return Survey.objects.select_related("ticket__storefront").get(token=token)
    except Survey.DoesNotExist:
        raise NotFound(_("There is no survey at this address.")) from None


def survey_latest(*, ticket: Ticket) -> Survey | None:
    """The ticket's most recent survey (a reopened ticket resolved again has several), for the desk: one query."""
    return Survey.objects.filter(ticket=ticket).order_by("-created_at", "-id").first()


def survey_is_expired(survey: Survey, *, now: datetime | None = None) -> bool:
    return (now or timezone.now()) >= survey.expires_at


def _check_score(field: str, value: Any, *, required: bool) -> int | None:
    if value is None or value == "":
        if required:
            raise InvalidInput(_("Please choose a score from 1 to 5."), field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value not in SCORES:
        raise InvalidInput(_("A score is a whole number from 1 to 5."), field=field)
    return value


@transaction.atomic
def survey_answer(
    *,
    token: str,
    overall: int,
    response_speed: int | None = None,
    attitude: int | None = None,
    resolution_efficiency: int | None = None,
    process_convenience: int | None = None,
    channel: int | None = None,
    comment: str = "",
    now: datetime | None = None,
) -> Survey:
    """Record the customer's answer, once. Refused: an unknown token (NotFound), an answered survey
    (SurveyAnswered) or an expired one (SurveyExpired), a score outside 1-5 or a comment too long (InvalidInput)."""
    now = now or timezone.now()
    scores = {"overall": _check_score("overall", overall, required=True)}
    given = {
        "response_speed": response_speed,
        "attitude": attitude,
        "resolution_efficiency": resolution_efficiency,
        "process_convenience": process_convenience,
        "channel": channel,
    }
    for name in SURVEY_DIMENSIONS:
        scores[name] = _check_score(name, given[name], required=False)
    comment = (comment or "").strip()
    if "\x00" in comment:  # PostgreSQL text cannot hold it; refused like any other bad input
        raise InvalidInput(_("The comment contains a character that is not allowed."), field="comment")
    if len(comment) > COMMENT_MAX:
        raise InvalidInput(
            _("Please keep the comment under %(max)d characters.") % {"max": COMMENT_MAX}, field="comment"
        )
    if not TOKEN_PATTERN.fullmatch(token or ""):
        raise NotFound(_("There is no survey at this address."))
    # The row lock makes the check-then-write below single use: a second submit waits here and then sees the
    # answer of the first.
    survey = Survey.objects.select_for_update().filter(token=token).first()
    if survey is None:
        raise NotFound(_("There is no survey at this address."))
    if survey.is_answered:
        raise SurveyAnswered(_("This survey has already been answered. Thank you!"))
    if survey_is_expired(survey, now=now):
        raise SurveyExpired(_("This survey has closed: surveys can be answered for 14 days."))
    for name, value in scores.items():
        setattr(survey, name, value)
    survey.comment = comment
    survey.answered_at = now
    survey.save(update_fields=[*scores, "comment", "answered_at"])

    ticket_record_event(
        ticket=survey.ticket,
        kind=EventKind.SURVEY_ANSWERED,
        data={"survey": survey.pk, "overall": scores["overall"]},
        now=now,
    )
    return survey


def survey_send_email(*, survey_id: int, now: datetime | None = None) -> bool:
    """E-mail the customer the survey link in the storefront's language. True if this call sent it.

    Nothing is sent for a survey already e-mailed, answered or expired, or a customer without an e-mail address.
    The survey is claimed before sending, so two runs at once send one e-mail; if the mail server refuses, the
    claim is released and the error raised, for the task to retry (or the catch-up to pick it up)."""
    now = now or timezone.now()
    survey = (
        Survey.objects.select_related("ticket__storefront", "ticket__customer")
        .filter(pk=survey_id, emailed_at__isnull=True, answered_at__isnull=True)
        .first()
    )
    if survey is None or survey_is_expired(survey, now=now):
        return False
    ticket = survey.ticket
    email = ticket.customer.email if ticket.customer_id else ""
    if not email:
        return False
    if Survey.objects.filter(pk=survey.pk, emailed_at__isnull=True).update(emailed_at=now) != 1:
        return False
    try:
        _send(survey, email)
    except Exception:
        Survey.objects.filter(pk=survey.pk, emailed_at=now).update(emailed_at=None)
        raise
    return True


def _send(survey: Survey, email: str) -> None:
    ticket = survey.ticket
    language = ticket.storefront.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "survey": survey,
            "ticket": ticket,
            "customer_name": ticket.customer.name if ticket.customer_id else "",
            "storefront": ticket.storefront,
            "url": survey_url(survey),
            "expires_on": timezone.localtime(survey.expires_at).date(),
        }
        subject = _("How did we do? Your request %(reference)s") % {"reference": ticket.reference}
        text = render_to_string("tickets/survey_email.txt", context)
        html = render_to_string("tickets/survey_email.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [email])
    message.attach_alternative(html, "text/html")
    message.send()


def surveys_email_pending(*, now: datetime | None = None, limit: int = 500) -> int:
    """Catch-up for survey e-mails whose after-commit task never ran (broker down, worker lost): the surveys of the
    last day not yet e-mailed. Run by beat; sending stays claimed per survey, so it never doubles an e-mail."""
    now = now or timezone.now()
    ids = list(
        Survey.objects.filter(
            emailed_at__isnull=True,
            answered_at__isnull=True,
            created_at__gte=now - EMAIL_WINDOW,
            created_at__lte=now - EMAIL_GRACE,
        )
        .exclude(ticket__customer__email="")
        .exclude(ticket__customer__isnull=True)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for survey_id in ids:
        try:
            sent += survey_send_email(survey_id=survey_id, now=now)
        except Exception:  # one refused address must not hold up the others
            logger.warning("Survey %s: e-mail failed, will retry on the next run.", survey_id, exc_info=True)
    return sent

"""Satisfaction surveys: created when a ticket is resolved, answered once through an unguessable link."""

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse

from tickets.models import Survey, Ticket

SURVEY_LIFETIME = timedelta(days=14)


def survey_url(survey: Survey) -> str:
    """The customer's link: absolute, because it leaves the site in e-mails and webhooks."""
    return settings.SITE_URL.rstrip("/") + reverse("survey", args=[survey.token])


def survey_create(*, ticket: Ticket, now: datetime) -> Survey:
    """A fresh survey for this resolution. Called inside the resolving transaction: a reopened and resolved-again
    ticket gets a new survey, each with its own token (256 bits from the OS's generator)."""
    return Survey.objects.create(
        ticket=ticket, token=secrets.token_urlsafe(32), created_at=now, expires_at=now + SURVEY_LIFETIME
    )

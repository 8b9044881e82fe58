"""The public survey page `/s/<token>/`: no login, phone-sized, English or Simplified Chinese.

The language is the storefront's (`Storefront.language`) unless the customer picks the other with `?lang=` (the
form carries it along). Answers: 200 with the form (400 with errors that name the field), 200 with the thank-you
after a recorded answer; 410 Gone with a polite page for a survey already answered or expired; 404 for a token that
is not a survey's.

No CSRF token: the page sets no cookie and has no session. The unguessable token in the URL is the only credential,
so a forged cross-site post would already need it; a cookie would only break the page in storefront apps' webviews
that refuse cookies.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from aftersales.errors import InvalidInput, NotFound
from tickets.models import Survey
from tickets.services.surveys import (
    SurveyAnswered,
    SurveyExpired,
    survey_answer,
    survey_get_by_token,
    survey_is_expired,
)
from tickets.survey_forms import SurveyForm

LANGUAGES = {code for code, _name in settings.LANGUAGES}
LANGUAGE_ALIASES = {"zh": "zh-hans", "zh-cn": "zh-hans", "zh-hans-cn": "zh-hans", "en-us": "en", "en-gb": "en"}


def _language(request: HttpRequest, survey: Survey | None) -> str:
    """?lang= (GET or the form's hidden field) when it names one of the site's languages, else the storefront's."""
    asked = (request.POST.get("lang") or request.GET.get("lang") or "").strip().lower()
    asked = LANGUAGE_ALIASES.get(asked, asked)
    if asked in LANGUAGES:
        return asked
    if survey is not None and survey.ticket.storefront.language in LANGUAGES:
        return survey.ticket.storefront.language
    return settings.LANGUAGE_CODE


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], *, language: str, status: int
) -> HttpResponse:
    with translation.override(language):
        response = render(
            request,
            template,
            {**context, "language": language, "languages": [("en", "EN"), ("zh-hans", "中文")]},
            status=status,
        )
    response["Content-Language"] = language
    # The link is the customer's key: keep it out of search engines.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _closed(request: HttpRequest, survey: Survey, *, reason: str, language: str) -> HttpResponse:
    context = {"reason": reason, "survey": survey, "ticket": survey.ticket}
    return _render(request, "tickets/survey_closed.html", context, language=language, status=410)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        survey = survey_get_by_token(token=token)
    except NotFound:
        language = _language(request, None)
        return _render(request, "tickets/survey_closed.html", {"reason": "unknown"}, language=language, status=404)
    language = _language(request, survey)
    now = timezone.now()
    if survey.is_answered:
        return _closed(request, survey, reason="answered", language=language)
    if survey_is_expired(survey, now=now):
        return _closed(request, survey, reason="expired", language=language)

    with translation.override(language):
        form = SurveyForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                survey = survey_answer(token=token, **form.cleaned_data, now=now)
            except SurveyAnswered:
                return _closed(request, survey, reason="answered", language=language)
            except SurveyExpired:
                return _closed(request, survey, reason="expired", language=language)
            except InvalidInput as error:
                for field, messages in (error.errors or {"comment": [str(error.message)]}).items():
                    for message in messages:
                        form.add_error(field if field in form.fields else None, message)
            else:
                context = {"survey": survey, "ticket": survey.ticket}
                return _render(request, "tickets/survey_thanks.html", context, language=language, status=200)
        # Render the errors in the page's language (the form validated inside the override).
        errors = form.named_errors() if form.is_bound else []
    status = 400 if form.is_bound else 200
    return _render(
        request,
        "tickets/survey.html",
        {"survey": survey, "ticket": survey.ticket, "form": form, "errors": errors},
        language=language,
        status=status,
    )

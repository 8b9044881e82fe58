"""The public survey page. Work in progress: the survey helper replaces this with the real page."""

from django.http import Http404, HttpRequest, HttpResponse


def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    raise Http404

"""Project-wide middleware."""

from django.http import HttpRequest
from django.middleware.common import CommonMiddleware as DjangoCommonMiddleware


class CommonMiddleware(DjangoCommonMiddleware):
    """Django's, except that an API path without its trailing slash is not redirected: a redirect answers a POST
    with an HTML 301 that clients follow as a GET. Under /api/ it is a JSON 404 like any unknown path (api.md: errors
    are JSON); the desk's pages still gain their slash."""

    def should_redirect_with_slash(self, request: HttpRequest) -> bool:
        return not request.path_info.startswith("/api/") and super().should_redirect_with_slash(request)

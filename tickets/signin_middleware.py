"""Sign-in rules applied to every request: idle sessions end, and a session that still owes its second factor
reaches only the pages that take it."""

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from tickets.signin import LAST_ACTIVITY, SECOND_FACTOR_PENDING

# Requests sent by a page on its own (the queue's and the dashboard's refresh) carry this header: they do not keep
# an idle session alive.
BACKGROUND_HEADER = "X-Desk-Background"
# The session's expiry is pushed back at most once a minute (or a tenth of the idle time, if shorter), so a busy page
# does not write the session on every request.
TOUCH_EVERY_SECONDS = 60


def _htmx_redirect(url: str) -> HttpResponse:
    # htmx follows a 302 inside its request and would put the whole target page into a fragment; this makes the
    # browser go there instead.
    response = HttpResponse(status=204)
    response["HX-Redirect"] = url
    return response


class IdleSessionMiddleware:
    """Django's session expires SESSION_COOKIE_AGE (SESSION_IDLE_MINUTES) after it was last saved; this saves it
    again on the user's own requests, so the session ends after that long without one. An htmx request whose session
    ended is sent to the sign-in page as a whole page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # A signed-in session, not request.user: DRF sets that for API keys and tokens, which have no session to keep.
        if session is not None and SESSION_KEY in session:
            if not request.headers.get(BACKGROUND_HEADER):
                now = int(time.time())
                every = min(TOUCH_EVERY_SECONDS, settings.SESSION_COOKIE_AGE // 10)
                if now - session.get(LAST_ACTIVITY, 0) >= every:
                    session[LAST_ACTIVITY] = now
        elif (
            request.headers.get("HX-Request")
            and response.status_code == 302
            and response["Location"].startswith(settings.LOGIN_URL)
        ):
            return _htmx_redirect(response["Location"])
        return response


# Paths a session owing its second factor may still reach.
def _open_paths() -> tuple[str, ...]:
    return (
        reverse("signin:two_factor_verify"),
        reverse("signin:two_factor_setup"),
        reverse("logout"),
        reverse("tickets:set_language"),
        settings.STATIC_URL,
    )


class SecondFactorMiddleware:
    """After the password, a user with an authenticator (or whose role needs one, settings.REQUIRE_2FA_FOR) is sent
    to give the code (or to set it up) before any other page, on the desk and the admin alike. API calls with a
    session answer 403 meanwhile; token calls are not sessions and are not affected."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        pending = session.get(SECOND_FACTOR_PENDING) if session is not None else None
        if pending and not request.path.startswith(_open_paths()):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"type": "second_factor_required", "detail": _("Finish signing in with your second factor.")},
                    status=403,
                )
            name = "signin:two_factor_verify" if pending == "verify" else "signin:two_factor_setup"
            url = f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}"
            if request.headers.get("HX-Request"):
                return _htmx_redirect(url)
            return HttpResponseRedirect(url)
        return self.get_response(request)

"""The ASGI entry point: Django's pages and API over HTTP, and the live ticket page's websockets (docs/live.md).

`make run` serves both from one daphne process; production runs gunicorn for HTTP and routes `/ws/` to the `live`
processes (daphne), which scale out like the web ones (README, "Production").
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
# Django first: the consumers import models.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from tickets.consumers import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # The session cookie signs the user in; a page of another origin may not open one (cross-site websocket
        # hijacking): the Origin header must be one of ALLOWED_HOSTS.
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

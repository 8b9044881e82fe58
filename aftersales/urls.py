from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularSwaggerSplitView

from aftersales.schema_views import SchemaView

urlpatterns = [
    path("", RedirectView.as_view(url="/desk/", permanent=False)),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # The browser scripts' strings (djangojs domain) in the user's language, loaded as a file (no inline script).
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # API schema: generated one request at a time (aftersales.schema_views.SchemaView).
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: the CSP allows no inline script (sign-in topic).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api_docs.html"),
        name="api-docs",
    ),
    path("api/v1/", include("tickets.api_urls")),
    path("api/v1/", include("complaints.api_urls")),
    path("api/v1/", include("returns.api_urls")),
    path("api/v1/", include("alerts.api_urls")),
    path("", include("alerts.urls")),
    path("", include("complaints.urls")),
    path("", include("returns.urls")),
    path("", include("tickets.survey_urls")),
    # Sign-in: second factor, staff API token, unlocking locked sign-ins.
    path("", include("tickets.signin_urls")),
    # The e-mail channel: the development outbox, the providers' inbound webhooks.
    path("", include("tickets.mail_urls")),
    path("", include("tickets.urls")),
]

handler400 = "aftersales.errors.bad_request_handler"
handler404 = "aftersales.errors.not_found_handler"
handler500 = "aftersales.errors.server_error_handler"

"""Settings, read from the environment.

Defaults serve a newcomer running `make run`: an SQLite file and a filesystem broker under var/.
Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and DEBUG=0.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from aftersales.logs import logging_config
from aftersales.mail import EmailConfigurationError, email_settings

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = env_bool("DEBUG", False)
# Build-time commands that never sign anything (CI checks, image builds) run without a secret; everything that
# serves or writes data refuses to start without one when DEBUG is off.
BUILD_COMMANDS = {"makemigrations", "check", "collectstatic", "compilemessages", "makemessages", "spectacular"}
BUILDING = len(sys.argv) > 1 and Path(sys.argv[0]).name == "manage.py" and sys.argv[1] in BUILD_COMMANDS
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105 (DEBUG only)
    elif not BUILDING:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Sign-in: lockout (django-axes), two-factor devices (django-otp: authenticator app, recovery codes).
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # ops: metrics and the audit of settings-like changes
    "django_prometheus",
    "auditlog",
    # The live ticket page's websockets (tickets/consumers.py).
    "channels",
    "tickets",
    "returns",
    "complaints",
    "alerts",
]

MIDDLEWARE = [
    # ops: metrics count every request; probes answer before Host checks, HTTPS redirects and the database
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "aftersales.probes.ProbeMiddleware",
    "aftersales.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Sign-in and browser security: CSP and Permissions-Policy headers on every answer.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "aftersales.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Sign-in: idle sessions end, the second factor is asked before anything else (tickets/signin_middleware.py).
    "tickets.signin_middleware.IdleSessionMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "tickets.signin_middleware.SecondFactorMiddleware",
    "tickets.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # ops: who changed a setting (after authentication)
    "auditlog.middleware.AuditlogMiddleware",
    # Sign-in: django-axes answers a locked-out sign-in with its page (after every other middleware but the metrics'
    # last one, which django-prometheus needs last).
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "aftersales.urls"
WSGI_APPLICATION = "aftersales.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tickets.context_processors.roles",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'aftersales.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        # ops: a kept connection is checked before a request reuses it, so the process recovers by itself after the
        # database restarts.
        conn_health_checks=True,
    )
}
# ops: django-prometheus's wrappers of Django's own backends count queries and their duration per database.
DATABASES["default"]["ENGINE"] = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # An unreachable server fails a request (503) and /readyz in seconds instead of hanging it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
    )
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # make run's SQLite file: the covering index of the SLA clocks (INCLUDE, a PostgreSQL speed-up) is a plain index
    # there, which is fine for a demo; Django's warning about it at every command would only puzzle a newcomer.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # django-redis: one Redis client per process and server, where Django's own backend builds a new client
            # object for every cache call (a storefront call makes several: key, settings, throttle).
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            # ops: an unreachable Redis fails a cache call in seconds, never hangs a request.
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# The live ticket page (docs/live.md): events go from whichever process wrote them to every page open on the ticket.
# With Redis, through Redis pub/sub (any number of web processes and machines); without (`make run`), in the memory
# of the one ASGI process, which then also serves the pages.
ASGI_APPLICATION = "aftersales.asgi.application"
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # Pub/sub channels are shared by all of a Redis server's databases: the prefix names the database, so
            # installations (or test runs) on one server with different REDIS_URL databases never hear each other.
            "CONFIG": {
                # An unreachable Redis fails an announcement in seconds, never holds up the request that committed.
                "hosts": [{"address": REDIS_URL, "socket_connect_timeout": 2}],
                "prefix": os.environ.get("LIVE_PREFIX", f"aftersales-live-{urlparse(REDIS_URL).path.strip('/') or 0}"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# Where pages open their websocket when it is not this site's own origin (e.g. wss://live.example.com); that origin
# is then allowed by the CSP's connect-src.
LIVE_URL = os.environ.get("LIVE_URL", "").rstrip("/")

# Sign-in ------------------------------------------------------------------------------------------------------------
# Django's four password validators, at least 10 characters (operations.md "Signing in").
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Lockout on both sign-in pages (desk and admin): an account after 10 failures, an address after 50, each failure
# less than 15 minutes after the one before; locked for 15 minutes. tickets.signin.LockoutHandler counts both.
SIGNIN_ACCOUNT_FAILURE_LIMIT = 10
SIGNIN_ADDRESS_FAILURE_LIMIT = 50
AXES_HANDLER = "tickets.signin.LockoutHandler"
AXES_FAILURE_LIMIT = SIGNIN_ACCOUNT_FAILURE_LIMIT
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = timedelta(minutes=15)
# A try during the lockout neither counts nor extends it: it ends 15 minutes after it began.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "tickets.signin_views.locked_out"
AXES_DISABLE_ACCESS_LOG = True
# Behind N reverse proxies that each append to X-Forwarded-For, the client is the Nth address from its right (as DRF's
# NUM_PROXIES); 0 trusts REMOTE_ADDR alone, so a forged header cannot dodge the address limit.
SIGNIN_PROXY_COUNT = int(os.environ.get("SIGNIN_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "tickets.signin.client_address"
# Two-factor sign-in: the roles that must use an authenticator app (agent, supervisor, finance, admin).
REQUIRE_2FA_FOR = env_list("REQUIRE_2FA_FOR", "")
# A misspelt role would silently leave that role on the password alone.
if set(REQUIRE_2FA_FOR) - {"agent", "supervisor", "finance", "admin"}:
    raise RuntimeError("REQUIRE_2FA_FOR takes role names among agent, supervisor, finance, admin.")
OTP_TOTP_ISSUER = "After-sales desk"
# Sessions end after this long without a request from the user (background refreshes do not count).
SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "30"))
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/desk/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Attachments above this size are refused (413) before they reach a service.
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# E-mail (ops): EMAIL_URL or an Anymail EMAIL_BACKEND; with DEBUG a development outbox under var/mail; without
# DEBUG and without a real backend nothing that may send mail starts (aftersales/mail.py).
try:
    globals().update(email_settings(os.environ, debug=DEBUG, var_dir=VAR_DIR, building=BUILDING))
except EmailConfigurationError as error:
    raise RuntimeError(str(error)) from None
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "after-sales@example.com")
# The e-mail channel (email.md): larger messages are quarantined; a sender opens at most this many tickets an hour.
EMAIL_INBOUND_MAX_BYTES = int(os.environ.get("EMAIL_INBOUND_MAX_BYTES", str(25 * 1024 * 1024)))
EMAIL_NEW_TICKETS_PER_SENDER_PER_HOUR = int(os.environ.get("EMAIL_NEW_TICKETS_PER_SENDER_PER_HOUR", "20"))
# Where customers and staff reach this site: links in e-mails and webhooks are absolute (survey links, alerts).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Safe by default when DEBUG is off.
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # ops: `check --deploy` clean; the header only allows a submission to the browsers' preload list.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # ops: load balancers probe over plain HTTP; the probes answer before the redirect anyway (aftersales/probes.py)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Browser security: no inline script anywhere (every script is a file under static/), no plugins, no framing; images
# from here and data: URIs (the authenticator's QR code). The powerful browser features the desk never uses are off.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        # 'self' covers the page's own ws:/wss: origin (CSP level 3); a separate live origin is added below.
        "connect-src": ["'self'", *([LIVE_URL] if LIVE_URL else [])],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tickets.authentication.ApiKeyAuthentication",
        "tickets.authentication.StaffTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # API bodies: JSON only (any other content type is 415); the views that take files name their own parsers.
    # DRF's test client sends JSON too unless a test asks for multipart.
    "DEFAULT_PARSER_CLASSES": ["aftersales.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "aftersales.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "aftersales.pagination.CreatedCursorPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "aftersales.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["tickets.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "client": os.environ.get("API_THROTTLE_RATE", "6000/min"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "After-sales desk API",
    "DESCRIPTION": "Storefront and staff REST API of the after-sales service desk.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models share field names (status, kind): each enum gets its own component name.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.models.Status",
        "TicketKindEnum": "tickets.models.Kind",
        "TicketCategoryEnum": "tickets.models.Category",
        "TicketSeverityEnum": "tickets.models.Severity",
        "TicketChannelEnum": "tickets.models.Channel",
        "MessageKindEnum": "tickets.models.MessageKind",
        "PublicMessageKindEnum": "tickets.api.common.PUBLIC_MESSAGE_KINDS",
        "TicketEventKindEnum": "tickets.models.EventKind",
        "ActorTypeEnum": "tickets.models.ActorType",
        "SlaMetricEnum": "tickets.models.Metric",
        "SlaStateEnum": "tickets.api.common.SLA_STATE_CHOICES",
        "ReturnStatusEnum": "returns.models.ReturnStatus",
        "RefundStatusEnum": "returns.models.RefundStatus",
        "ReasonEnum": "returns.models.Reason",
        "RefundConfirmStatusEnum": ["succeeded", "failed"],
        "AlertKindEnum": "alerts.models.AlertKind",
        "MacroScopeEnum": "tickets.models.MacroScope",
        "ChatKindEnum": "tickets.models.ChatKind",
        "TriggerEventEnum": "tickets.models.TriggerEvent",
    },
    # Swagger UI and ReDoc from the installed drf-spectacular-sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: Redis when REDIS_URL is set, otherwise Kombu's filesystem transport under var/.
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Publishing to an unreachable Redis raises at once instead of retrying for the connection timeout (kombu's
    # default_channel retries until `broker_connection_timeout`); the socket connect is bounded too. Workers keep
    # reconnecting on their own (broker_connection_retry), this only affects a failing publish.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 0, "socket_connect_timeout": 2}
else:
    # A hostname, although the transport needs none: without one Kombu warns at every start of every process.
    CELERY_BROKER_URL = "filesystem://localhost/"
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),  # kombu's default is ./control, in whatever directory
        "store_processed": False,
    }
    # Kombu's filesystem transport does not create its folders; web, worker and beat all import these settings.
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# ops: workers and beat reconnect after a broker outage however long it lasts (Celery's default gives up after 100
# attempts). A task running when the broker goes away finishes (Celery 5's default, said here on purpose): every task
# is safe to run twice, and its message, unacknowledged, is delivered again later and finds its work done; cancelling
# it instead could cut a webhook between the receiver's answer and the outbox row being marked, and send it twice.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# A publish to a dead broker must fail fast: the outbox row is already committed and the
# beat task `dispatch_due_webhooks` picks it up once the broker is back.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The SLA sweep's period; alerts are raised at most this late.
SLA_SWEEP_SECONDS = int(os.environ.get("SLA_SWEEP_SECONDS", "60"))
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-webhooks": {"task": "tickets.tasks.dispatch_due_webhooks", "schedule": timedelta(seconds=30)},
    "dispatch-due-chat-messages": {
        "task": "tickets.tasks.dispatch_due_chat_messages",
        "schedule": timedelta(seconds=30),
    },
    # Time rules (automation.md): every 15 minutes.
    "run-time-rules": {"task": "tickets.tasks.run_time_rules", "schedule": crontab(minute="*/15")},
    "auto-close-resolved-tickets": {
        "task": "tickets.tasks.auto_close_resolved_tickets",
        "schedule": crontab(minute=17),
    },
    "purge-idempotency-records": {"task": "tickets.tasks.purge_idempotency_records", "schedule": crontab(minute=41)},
    "sweep-sla": {"task": "alerts.tasks.sweep_sla", "schedule": timedelta(seconds=SLA_SWEEP_SECONDS)},
    # KPI warning lines, hourly at :05 (local midnight in whole-hour time zones: a closed day is evaluated 5 minutes
    # after it ends).
    "evaluate-kpis": {"task": "alerts.tasks.evaluate_kpis", "schedule": crontab(minute=5)},
    "send-pending-alert-notifications": {
        "task": "alerts.tasks.send_pending_alert_notifications",
        "schedule": timedelta(minutes=5),
    },
    # Survey e-mails whose after-commit task was lost (broker down at resolve time).
    "send-pending-survey-emails": {
        "task": "tickets.tasks.send_pending_survey_emails",
        "schedule": timedelta(minutes=10),
    },
    # The e-mail channel: IMAP mailboxes polled every minute, and the mail outbox's retries and lost sends.
    "fetch-mail": {"task": "tickets.tasks.fetch_mail", "schedule": timedelta(seconds=60)},
    "send-due-emails": {"task": "tickets.tasks.send_due_emails", "schedule": timedelta(seconds=60)},
    # Privacy: attachments of tickets closed longer ago than ATTACHMENT_RETENTION_DAYS, daily.
    "purge-expired-attachments": {
        "task": "tickets.tasks.purge_expired_attachments",
        "schedule": crontab(minute=23, hour=3),
    },
}

# Automation (docs/automation.md): a rule that fails this many times in a row is switched off with an alert; business
# hours of time rules and of the time.business_hours condition come from this calendar unless a condition names one.
AUTOMATION_MAX_FAILURES = int(os.environ.get("AUTOMATION_MAX_FAILURES", "3"))
AUTOMATION_DEFAULT_CALENDAR = os.environ.get("AUTOMATION_DEFAULT_CALENDAR", "China business days")
# Chat robots on local or private addresses are refused (SSRF); the tests' local receiver needs them allowed.
CHAT_ALLOW_PRIVATE_HOSTS = os.environ.get("CHAT_ALLOW_PRIVATE_HOSTS", "") == "1"

# Tickets resolved this long ago are closed by the daily beat task.
AUTO_CLOSE_AFTER = timedelta(days=int(os.environ.get("AUTO_CLOSE_AFTER_DAYS", "7")))
IDEMPOTENCY_TTL = timedelta(hours=24)
# Privacy: attachments of tickets closed more than this many days ago are deleted by beat (files and rows).
ATTACHMENT_RETENTION_DAYS = int(os.environ.get("ATTACHMENT_RETENTION_DAYS", "365"))
# How long a retry waits for the first request with its key before answering 409.
IDEMPOTENCY_WAIT_SECONDS = 10
# A claimed key whose request never answered (its process died) is taken over after this; longer than any request runs.
IDEMPOTENCY_STALE_AFTER = timedelta(minutes=2)
# Settings-like rows cached for storefront calls (tickets.settings_cache) are read again after this at the latest; a
# change through Django is seen at once.
SETTINGS_CACHE_SECONDS = int(os.environ.get("SETTINGS_CACHE_SECONDS", "300"))
# Webhook retries: exponential backoff, given up after this long.
WEBHOOK_RETRY_FOR = timedelta(hours=24)
WEBHOOK_TIMEOUT_SECONDS = 10
# Who receives level-3 escalations besides the supervisors.
ADMIN_ALERT_EMAILS = env_list("ADMIN_ALERT_EMAILS", "")
# Optional: every new alert is POSTed here as JSON (e.g. a chat tool's robot URL).
ALERT_WEBHOOK_URL = os.environ.get("ALERT_WEBHOOK_URL", "")

# ops: one line per request and per task, in TIME_ZONE, text or JSON (LOG_FORMAT=json), through a filter that takes
# out passwords, keys, tokens, survey links, e-mail addresses and phone numbers (aftersales/logs.py).
LOGGING = logging_config(level=os.environ.get("LOG_LEVEL", "INFO"), log_format=os.environ.get("LOG_FORMAT", "text"))

# ops: /metrics (Prometheus) is off unless a token or addresses are set; /healthz and /readyz need neither.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "")
# Each app's own figures, read at every scrape (aftersales imports no app: they are named here).
METRICS_COLLECTORS = ["tickets.metrics.WebhookCollector", "alerts.metrics.SweepCollector"]
PROMETHEUS_EXPORT_MIGRATIONS = False
# While the database is away requests answer 503 with this Retry-After.
RETRY_AFTER_SECONDS = int(os.environ.get("RETRY_AFTER_SECONDS", "30"))

# ops: the audit of settings-like changes (django-auditlog): who, when, before and after. Secrets are never stored:
# the webhook secret is masked whole (its change is still recorded), key hashes and passwords are left out.
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    {"model": "tickets.Team", "m2m_fields": ["members"]},
    {"model": "tickets.RoutingRule"},
    {"model": "tickets.SlaPolicy"},
    {"model": "tickets.BusinessCalendar"},
    {"model": "tickets.CalendarDay"},
    {
        "model": "tickets.Storefront",
        "mask_fields": ["webhook_secret"],
        "mask_callable": "aftersales.audit.mask_whole",
    },
    {"model": "tickets.ApiKey", "exclude_fields": ["hashed_key"]},
    # The e-mail channel's mailboxes: their password and webhook secret masked whole, where fetching stands left out.
    {
        "model": "tickets.Mailbox",
        "mask_fields": ["imap_password", "webhook_secret"],
        "mask_callable": "aftersales.audit.mask_whole",
        "exclude_fields": ["imap_uidvalidity", "imap_last_uid", "last_fetched_at", "last_error"],
    },
    {"model": "returns.ReturnPolicy"},
    {"model": "alerts.KpiThreshold"},
    {
        "model": "auth.User",
        "include_fields": ["username", "is_active", "is_staff", "is_superuser", "groups"],
        "m2m_fields": ["groups"],
    },
)
AUDITLOG_DISABLE_REMOTE_ADDR = False

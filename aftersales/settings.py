"""Settings, read from the environment.

Defaults serve a newcomer running `make run`: an SQLite file and a filesystem broker under var/.
Production sets DATABASE_URL, REDIS_URL, SECRET_KEY and DEBUG=0.
"""

import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

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
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105 (DEBUG only)
    elif not (len(sys.argv) > 1 and Path(sys.argv[0]).name == "manage.py" and sys.argv[1] in BUILD_COMMANDS):
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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tickets",
    "returns",
    "complaints",
    "alerts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "aftersales.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tickets.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
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

# E-mail: console unless configured.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "after-sales@example.com")
# Where customers and staff reach this site: links in e-mails and webhooks are absolute (survey links, alerts).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# Safe by default when DEBUG is off.
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tickets.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.TokenAuthentication",
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
        "RefundConfirmStatusEnum": ["succeeded", "failed"],
        "AlertKindEnum": "alerts.models.AlertKind",
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
    CELERY_BROKER_URL = "filesystem://"
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
}

# Tickets resolved this long ago are closed by the daily beat task.
AUTO_CLOSE_AFTER = timedelta(days=int(os.environ.get("AUTO_CLOSE_AFTER_DAYS", "7")))
IDEMPOTENCY_TTL = timedelta(hours=24)
# How long a retry waits for the first request with its key before answering 409.
IDEMPOTENCY_WAIT_SECONDS = 10
# Webhook retries: exponential backoff, given up after this long.
WEBHOOK_RETRY_FOR = timedelta(hours=24)
WEBHOOK_TIMEOUT_SECONDS = 10
# Who receives level-3 escalations besides the supervisors.
ADMIN_ALERT_EMAILS = env_list("ADMIN_ALERT_EMAILS", "")
# Optional: every new alert is POSTed here as JSON (e.g. a chat tool's robot URL).
ALERT_WEBHOOK_URL = os.environ.get("ALERT_WEBHOOK_URL", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

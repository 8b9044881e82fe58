"""The e-mail backend from the environment (settings.py calls `email_settings`).

- `EMAIL_URL`: `smtp://host:25`, `smtp+tls://user:password@host:587` (STARTTLS), `smtp+ssl://user:password@host:465`
  (or `smtps://`, TLS from the first byte); `?timeout=SECONDS` (default 10). User and password are URL-encoded.
- `EMAIL_HOST` (with `EMAIL_PORT`, `EMAIL_HOST_USER`, `EMAIL_HOST_PASSWORD`, `EMAIL_USE_TLS` or `EMAIL_USE_SSL`,
  `EMAIL_TIMEOUT`): Django's SMTP backend with those settings, as Django names them.
- `EMAIL_BACKEND`: an Anymail backend (`anymail.backends.mailgun.EmailBackend`), its settings as `ANYMAIL_*`
  variables (`ANYMAIL_MAILGUN_API_KEY`), or Django's SMTP backend with the `EMAIL_HOST*` variables.
- Neither, with DEBUG: the development outbox, one file per message under var/mail.
- Neither, without DEBUG: the process refuses to start (customers' addresses and survey links must not end up on a
  console or in a log).
"""

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
DEFAULT_TIMEOUT_SECONDS = 10
# Backends that send for real; anything else (console, file, locmem, dummy) is for development only.
REAL_BACKEND_PREFIXES = ("anymail.backends.", SMTP_BACKEND)

_SCHEMES = {
    "smtp": {"EMAIL_USE_TLS": False, "EMAIL_USE_SSL": False},
    "smtp+tls": {"EMAIL_USE_TLS": True, "EMAIL_USE_SSL": False},
    "smtp+ssl": {"EMAIL_USE_TLS": False, "EMAIL_USE_SSL": True},
    "smtps": {"EMAIL_USE_TLS": False, "EMAIL_USE_SSL": True},
}
_DEFAULT_PORTS = {"smtp": 25, "smtp+tls": 587, "smtp+ssl": 465, "smtps": 465}


class EmailConfigurationError(ValueError):
    pass


def parse_email_url(url: str) -> dict[str, Any]:
    """EMAIL_URL -> Django's EMAIL_* settings. Raises EmailConfigurationError naming what is wrong (never echoing the
    URL, which holds a password)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise EmailConfigurationError(
            f"EMAIL_URL: unknown scheme {scheme!r}; use smtp://, smtp+tls://, smtp+ssl:// or smtps://."
        )
    if not parts.hostname:
        raise EmailConfigurationError("EMAIL_URL: the mail server's host name is missing.")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise EmailConfigurationError("EMAIL_URL: the port is not a number.") from None
    query = parse_qs(parts.query)
    timeout_text = query.get("timeout", [str(DEFAULT_TIMEOUT_SECONDS)])[0]
    try:
        timeout = float(timeout_text)
    except ValueError:
        raise EmailConfigurationError("EMAIL_URL: timeout must be a number of seconds.") from None
    if timeout <= 0:
        raise EmailConfigurationError("EMAIL_URL: timeout must be a number of seconds.")
    return {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_TIMEOUT": timeout,
        **_SCHEMES[scheme],
    }


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _smtp_settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """Django's SMTP settings from variables of the same names (email.md "Mailboxes")."""
    use_tls, use_ssl = _flag(environ, "EMAIL_USE_TLS"), _flag(environ, "EMAIL_USE_SSL")
    if use_tls and use_ssl:
        raise EmailConfigurationError("EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other: set one.")
    try:
        port = int(environ.get("EMAIL_PORT") or (465 if use_ssl else 587 if use_tls else 25))
        timeout = float(environ.get("EMAIL_TIMEOUT") or DEFAULT_TIMEOUT_SECONDS)
    except ValueError:
        raise EmailConfigurationError("EMAIL_PORT and EMAIL_TIMEOUT must be numbers.") from None
    return {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": environ["EMAIL_HOST"].strip(),
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": environ.get("EMAIL_HOST_USER", ""),
        "EMAIL_HOST_PASSWORD": environ.get("EMAIL_HOST_PASSWORD", ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
        "EMAIL_TIMEOUT": timeout,
    }


def email_settings(environ: Mapping[str, str], *, debug: bool, var_dir: Path, building: bool) -> dict[str, Any]:
    """The EMAIL_* settings (and ANYMAIL) for this environment; raises EmailConfigurationError when a process that
    may send mail has no real backend without DEBUG."""
    anymail = {name.removeprefix("ANYMAIL_"): value for name, value in environ.items() if name.startswith("ANYMAIL_")}
    if environ.get("EMAIL_URL"):
        return {**parse_email_url(environ["EMAIL_URL"]), "ANYMAIL": anymail}
    backend = environ.get("EMAIL_BACKEND", "")
    if environ.get("EMAIL_HOST") and not backend:
        return {**_smtp_settings(environ), "ANYMAIL": anymail}
    if backend and (debug or backend.startswith(REAL_BACKEND_PREFIXES)):
        return {
            "EMAIL_BACKEND": backend,
            "EMAIL_HOST": environ.get("EMAIL_HOST", "localhost"),
            "EMAIL_PORT": int(environ.get("EMAIL_PORT", "25")),
            "EMAIL_HOST_USER": environ.get("EMAIL_HOST_USER", ""),
            "EMAIL_HOST_PASSWORD": environ.get("EMAIL_HOST_PASSWORD", ""),
            "EMAIL_TIMEOUT": float(environ.get("EMAIL_TIMEOUT", str(DEFAULT_TIMEOUT_SECONDS))),
            "ANYMAIL": anymail,
        }
    if debug or building:
        return {"EMAIL_BACKEND": FILE_BACKEND, "EMAIL_FILE_PATH": str(var_dir / "mail"), "ANYMAIL": anymail}
    if backend:
        raise EmailConfigurationError(
            f"EMAIL_BACKEND {backend} does not send mail; without DEBUG set EMAIL_URL "
            "(smtp+tls://user:password@host:587) or an Anymail backend."
        )
    raise EmailConfigurationError(
        "An e-mail backend must be configured when DEBUG is off: set EMAIL_URL "
        "(smtp+tls://user:password@host:587) or EMAIL_BACKEND (an Anymail backend)."
    )

"""The e-mail backend (operations.md, architecture.md): a development outbox under var/ with DEBUG; without DEBUG a real
backend (EMAIL_URL or an Anymail EMAIL_BACKEND) or the process refuses to start, as it does without SECRET_KEY."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from aftersales.mail import FILE_BACKEND, SMTP_BACKEND, EmailConfigurationError, email_settings, parse_email_url

ROOT = Path(__file__).resolve().parent.parent


def test_an_smtp_url_with_starttls_user_password_and_timeout():
    assert parse_email_url("smtp+tls://desk%40shop.example:p%40ss%2Fword@mail.example.com:2587?timeout=7") == {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": "mail.example.com",
        "EMAIL_PORT": 2587,
        "EMAIL_HOST_USER": "desk@shop.example",
        "EMAIL_HOST_PASSWORD": "p@ss/word",
        "EMAIL_TIMEOUT": 7.0,
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
    }


@pytest.mark.parametrize(
    ("url", "port", "tls", "ssl"),
    [
        ("smtp://relay.internal", 25, False, False),
        ("smtp+tls://u:p@mail.example.com", 587, True, False),
        ("smtp+ssl://u:p@mail.example.com", 465, False, True),
        ("smtps://u:p@mail.example.com", 465, False, True),
    ],
)
def test_default_ports_and_the_kind_of_tls(url, port, tls, ssl):
    parsed = parse_email_url(url)

    assert (parsed["EMAIL_PORT"], parsed["EMAIL_USE_TLS"], parsed["EMAIL_USE_SSL"]) == (port, tls, ssl)
    assert parsed["EMAIL_TIMEOUT"] == 10  # an unreachable server never hangs a worker


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://u:hunter2@mail.example.com", "unknown scheme"),
        ("smtp+tls://u:hunter2@:587", "host name is missing"),
        ("smtp://u:hunter2@mail.example.com:port", "port is not a number"),
        ("smtp://u:hunter2@mail.example.com?timeout=soon", "timeout must be a number"),
    ],
)
def test_a_bad_url_names_the_setting_and_never_echoes_the_password(url, message):
    with pytest.raises(EmailConfigurationError) as raised:
        parse_email_url(url)

    assert str(raised.value).startswith("EMAIL_URL:") and message in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_with_debug_and_nothing_configured_mail_goes_to_the_outbox_under_var(tmp_path):
    config = email_settings({}, debug=True, var_dir=tmp_path, building=False)

    assert (config["EMAIL_BACKEND"], config["EMAIL_FILE_PATH"]) == (FILE_BACKEND, str(tmp_path / "mail"))


def test_without_debug_a_console_backend_or_nothing_is_refused(tmp_path):
    with pytest.raises(EmailConfigurationError, match="must be configured when DEBUG is off"):
        email_settings({}, debug=False, var_dir=tmp_path, building=False)
    with pytest.raises(EmailConfigurationError, match="does not send mail"):
        email_settings(
            {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
            debug=False,
            var_dir=tmp_path,
            building=False,
        )


def test_an_anymail_backend_takes_its_settings_from_anymail_variables(tmp_path):
    config = email_settings(
        {"EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend", "ANYMAIL_MAILGUN_API_KEY": "key-123"},
        debug=False,
        var_dir=tmp_path,
        building=False,
    )

    assert config["EMAIL_BACKEND"] == "anymail.backends.mailgun.EmailBackend"
    assert config["ANYMAIL"] == {"MAILGUN_API_KEY": "key-123"}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "EMAIL_URL", "EMAIL_BACKEND", "EMAIL_HOST")
    }
    return subprocess.run(  # noqa: S603
        [sys.executable, "-W", "ignore::RuntimeWarning", "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_debug_and_without_a_mail_backend_nothing_that_may_send_mail_starts():
    result = _manage("migrate", "--plan", SECRET_KEY=secrets.token_urlsafe(50))

    assert result.returncode != 0
    assert "An e-mail backend must be configured when DEBUG is off" in result.stderr
    # build-time commands still run
    assert _manage("makemigrations", "--check", "--dry-run", SECRET_KEY=secrets.token_urlsafe(50)).returncode == 0


def test_make_runs_development_outbox_keeps_each_message_as_a_file_under_var(tmp_path):
    result = _manage("sendtestemail", "li.lei@example.com", DEBUG="1", VAR_DIR=str(tmp_path))

    assert result.returncode == 0, result.stderr
    messages = list((tmp_path / "mail").iterdir())
    assert len(messages) == 1
    assert "To: li.lei@example.com" in messages[0].read_text()
    assert "li.lei@example.com" not in result.stdout + result.stderr  # nothing on the console


def test_smtp_settings_by_their_django_names_user_password_and_tls(tmp_path):
    # given the EMAIL_* variables a hosting panel gives (no EMAIL_URL)
    environ = {
        "EMAIL_HOST": "smtp.shop.example",
        "EMAIL_PORT": "2465",
        "EMAIL_HOST_USER": "service@shop.example",
        "EMAIL_HOST_PASSWORD": "p@ss word",
        "EMAIL_USE_SSL": "1",
    }

    config = email_settings(environ, debug=False, var_dir=tmp_path, building=False)

    # then Django's SMTP backend sends with them, even without DEBUG
    assert {key: config[key] for key in ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USE_SSL")} == {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": "smtp.shop.example",
        "EMAIL_PORT": 2465,
        "EMAIL_USE_SSL": True,
    }
    assert (config["EMAIL_HOST_USER"], config["EMAIL_HOST_PASSWORD"], config["EMAIL_USE_TLS"]) == (
        "service@shop.example",
        "p@ss word",
        False,
    )
    # STARTTLS picks the submission port when none is given; both at once is refused
    starttls = email_settings(
        {"EMAIL_HOST": "h", "EMAIL_USE_TLS": "true"}, debug=False, var_dir=tmp_path, building=False
    )
    assert (starttls["EMAIL_PORT"], starttls["EMAIL_USE_TLS"]) == (587, True)
    with pytest.raises(EmailConfigurationError, match="exclude each other"):
        email_settings(
            {"EMAIL_HOST": "h", "EMAIL_USE_TLS": "1", "EMAIL_USE_SSL": "1"},
            debug=False,
            var_dir=tmp_path,
            building=False,
        )

"""Logs (operations.md): one line per request and per task, in the configured time zone, optionally JSON, and never
a password, key, token, survey link or anyone's e-mail address or phone number."""

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from django.conf import settings

from aftersales.logs import JsonFormatter, RedactingFilter, TextFormatter, logging_config
from alerts.tasks import sweep_sla

pytestmark = pytest.mark.django_db


class Captured:
    def __init__(self, formatter: logging.Formatter) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.addFilter(RedactingFilter())
        self.handler.setFormatter(formatter)

    @property
    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()


@pytest.fixture
def text_log() -> Iterator[Captured]:
    captured = Captured(TextFormatter())
    logging.getLogger().addHandler(captured.handler)
    yield captured
    logging.getLogger().removeHandler(captured.handler)


@pytest.fixture
def json_log() -> Iterator[Captured]:
    captured = Captured(JsonFormatter())
    logging.getLogger().addHandler(captured.handler)
    yield captured
    logging.getLogger().removeHandler(captured.handler)


def test_every_handler_of_the_settings_redacts():
    for log_format in ("text", "json"):
        config = logging_config(level="INFO", log_format=log_format)
        for handler in config["handlers"].values():
            assert "redact" in handler["filters"]
            assert handler["formatter"] == log_format
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["redact"]


def test_one_line_per_request_in_the_configured_time_zone_without_the_query_string(client, text_log, settings):
    settings.TIME_ZONE = "Asia/Shanghai"

    client.get("/accounts/login/?next=/desk/&q=li.lei@example.com")

    lines = [line for line in text_log.lines if "aftersales.request" in line]
    assert len(lines) == 1
    assert re.match(
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00 INFO aftersales.request GET /accounts/login/ 200 ", lines[0]
    )
    assert "li.lei" not in text_log.stream.getvalue()


def test_json_lines_carry_the_request_fields(client, json_log, settings):
    settings.TIME_ZONE = "Europe/Berlin"

    client.get("/accounts/login/")

    entries = [json.loads(line) for line in json_log.lines]
    entry = next(e for e in entries if e["logger"] == "aftersales.request")
    assert (entry["level"], entry["method"], entry["path"], entry["status"]) == ("INFO", "GET", "/accounts/login/", 200)
    assert entry["time"].endswith(("+01:00", "+02:00"))
    assert isinstance(entry["duration_ms"], float)


def test_a_survey_link_is_logged_without_its_token(client, text_log):
    token = "Ab3dEf6hIj9lMn2pQr5tUv8xYz1bCd4fGh7jKl0nOpQ"

    client.get(f"/s/{token}/")

    assert token not in text_log.stream.getvalue()
    assert any("GET /s/[redacted]/ 404" in line for line in text_log.lines)


def test_one_line_per_task_with_its_name_and_outcome(text_log):
    sweep_sla.delay()

    lines = [line for line in text_log.lines if "aftersales.task" in line]
    assert len(lines) == 1
    assert re.search(r"INFO aftersales\.task task alerts\.tasks\.sweep_sla [0-9a-f-]{36} SUCCESS [\d.]+ms$", lines[0])


def test_secrets_and_contact_data_never_reach_the_log(text_log):
    logger = logging.getLogger("tickets.services")
    key = "1a2b3c4d.Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXhxdXV4cXV"
    token = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    logger.info("Authorization: Api-Key %s", key)
    logger.info("staff token %s for %s", token, "mei")
    logger.warning("login failed for mei with password=%s", "Tr0ub4dor&3x")
    logger.info("customer %s, %s, %s", "li.lei@example.com", "+86 138 0013 8000", "13800138000")
    logger.info("survey sent: https://desk.example.com/s/%s/", "q" * 43)
    logger.info("storefront secret %s", "whsec_c2VjcmV0c2VjcmV0c2VjcmV0")
    try:
        raise ValueError("duplicate key (email)=(han.mei@example.org)")
    except ValueError:
        logger.exception("could not save %s", "han.mei@example.org")

    text = text_log.stream.getvalue()
    for secret in (key, token, "Tr0ub4dor", "li.lei@", "138 0013", "13800138000", "q" * 43, "c2VjcmV0", "han.mei"):
        assert secret not in text, secret
    # what is left still says what happened
    assert "login failed for mei with password=[redacted]" in text
    assert "customer [email], [phone], [phone]" in text
    assert "ValueError: duplicate key (email)=([email])" in text


def test_a_newline_in_a_path_does_not_forge_a_log_line(client, text_log):
    client.get("/desk/%0A2026-01-01T00:00:00.000+08:00 INFO forged")

    lines = [line for line in text_log.lines if "aftersales.request" in line or "forged" in line]
    assert len(lines) == 1 and "\\x0a" in lines[0]

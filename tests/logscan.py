"""The log scan (operations.md: no log holds a password, key, token, survey link or a customer's e-mail or phone).

Every log record of the whole run goes to test-results/logs/test-run.log through the same filter and formatter as
production's handler (a session-wide handler on the root logger), and tests that run servers as child processes
(worker, beat, gunicorn) leave their output in the same folder. While the tests run, this plugin notes every secret
and piece of contact data they issue or post: API keys (the factories), staff tokens, passwords (hashed for a user or
tried at a sign-in, or posted in a form or body), survey tokens, customers' e-mail addresses and phone numbers (as
saved). At the end of the session the folder is read and any of those values, any survey link and any API-key-shaped
string fails the run (exit status 1, after the test summary), naming the file, the line and what kind of value
leaked.
"""

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.test import override_settings

from aftersales.logs import RedactingFilter, TextFormatter

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = ROOT / "test-results" / "logs"
RUN_LOG = LOG_DIR / "test-run.log"

MIN_LENGTH = 6
# Keys of posted data whose values are secrets or contact data.
SENSITIVE_KEY = re.compile(r"password|passwd|token|secret|api[_-]?key|e-?mail|phone|mobile", re.IGNORECASE)
TOKEN_CHARS = re.compile(r"[\w.@+%-]+")
# Shapes that are leaks whatever their value: a survey link with its token, a storefront API key.
LEAK_SHAPES = {
    "survey link": re.compile(r"/s/[A-Za-z0-9_-]{20,}"),
    "API key": re.compile(r"\b[0-9a-f]{8}\.[A-Za-z0-9_-]{43}\b"),
}


@dataclass
class Issued:
    values: dict[str, str] = field(default_factory=dict)  # value -> kind

    def add(self, kind: str, value: Any) -> None:
        if not isinstance(value, str):
            return
        value = value.strip()
        if len(value) < MIN_LENGTH:
            return
        if kind == "password" and not (
            len(value) >= 8 and re.search("[A-Za-z]", value) and re.search("[^A-Za-z]", value)
        ):
            # "password" or "changeme" would match ordinary words of the log; a test's weak password is no secret
            return
        self.values.setdefault(value, kind)
        if kind == "phone":
            digits = re.sub(r"\D", "", value)
            for variant in (digits, digits[-11:]):
                if len(variant) >= 7:
                    self.values.setdefault(variant, kind)

    def add_posted(self, data: Any) -> None:
        if isinstance(data, dict):
            for key, value in data.items():
                if isinstance(value, dict | list):
                    self.add_posted(value)
                elif isinstance(key, str) and SENSITIVE_KEY.search(key):
                    kind = "phone" if re.search("phone|mobile", key, re.I) else key.lower()
                    self.add(kind, value)
        elif isinstance(data, list):
            for item in data:
                self.add_posted(item)


ISSUED = Issued()
_handler: logging.Handler | None = None


def issue(kind: str, value: str) -> None:
    """For fixtures and factories that hand out a secret the database does not hold in clear (API keys)."""
    ISSUED.add(kind, value)


def _connect_signals() -> None:
    from django.db.models.signals import post_save
    from rest_framework.authtoken.models import Token

    from tickets.models import Customer, Survey

    def customer_saved(instance: Customer, **kwargs: Any) -> None:
        ISSUED.add("customer e-mail", instance.email)
        ISSUED.add("phone", instance.phone)

    def survey_saved(instance: Survey, **kwargs: Any) -> None:
        ISSUED.add("survey token", instance.token)

    def token_saved(instance: Token, **kwargs: Any) -> None:
        ISSUED.add("staff token", instance.key)

    post_save.connect(customer_saved, sender=Customer, weak=False, dispatch_uid="logscan-customer")
    post_save.connect(survey_saved, sender=Survey, weak=False, dispatch_uid="logscan-survey")
    post_save.connect(token_saved, sender=Token, weak=False, dispatch_uid="logscan-token")


class RecordingHasher(PBKDF2PasswordHasher):
    """Django's default hasher (same algorithm name, same hashes) that also notes every raw password it hashes: set
    on a user (create_user, set_password) or tried at a sign-in (right or wrong). First in PASSWORD_HASHERS for the
    session, through Django's own override_settings."""

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        ISSUED.add("password", password)
        return super().encode(password, salt, iterations)


def _wrap_posts() -> None:
    """Note what tests post (form fields and JSON bodies) through Django's and DRF's test clients."""
    from django.test.client import RequestFactory
    from rest_framework.test import APIRequestFactory

    for factory in (RequestFactory, APIRequestFactory):
        for method in ("post", "put", "patch"):
            original = getattr(factory, method)

            def noting(self: Any, path: str, data: Any = None, *args: Any, __original: Any = original, **kwargs: Any):
                ISSUED.add_posted(data)
                return __original(self, path, data, *args, **kwargs)

            setattr(factory, method, noting)


def _attach() -> None:
    root = logging.getLogger()
    if _handler is not None and _handler not in root.handlers:
        # Something reconfigured logging (an in-process Celery worker applies settings.LOGGING again): re-attach.
        root.addHandler(_handler)


def pytest_sessionstart(session: pytest.Session) -> None:
    global _handler
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    for old in LOG_DIR.glob("*.log"):
        old.unlink()
    _handler = logging.FileHandler(RUN_LOG, mode="w", encoding="utf-8")
    _handler.addFilter(RedactingFilter())
    _handler.setFormatter(TextFormatter())
    _attach()
    _connect_signals()
    _wrap_posts()
    override_settings(PASSWORD_HASHERS=["tests.logscan.RecordingHasher", *settings.PASSWORD_HASHERS]).enable()


@pytest.fixture(autouse=True)
def _log_to_the_scanned_file() -> Iterator[None]:
    _attach()
    yield


@dataclass(frozen=True)
class Leak:
    path: Path
    line: int
    kind: str
    sample: str


def _mask(value: str) -> str:
    return value[:3] + "…" if len(value) > 3 else "…"


def scan(paths: list[Path], issued: dict[str, str]) -> list[Leak]:
    plain = {value: kind for value, kind in issued.items() if TOKEN_CHARS.fullmatch(value)}
    other = {value: kind for value, kind in issued.items() if value not in plain}
    leaks = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            for token in TOKEN_CHARS.findall(line):
                for candidate in {token, token.strip(".-")}:
                    if candidate in plain:
                        leaks.append(Leak(path, number, plain[candidate], _mask(candidate)))
            for value, kind in other.items():
                if value in line:
                    leaks.append(Leak(path, number, kind, _mask(value)))
            for kind, shape in LEAK_SHAPES.items():
                for found in shape.findall(line):
                    leaks.append(Leak(path, number, kind, _mask(found)))
    return leaks


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _handler is not None:
        _handler.flush()
    paths = sorted(LOG_DIR.glob("*.log"))
    leaks = scan(paths, ISSUED.values)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter is not None else print
    lines = sum(1 for path in paths for _ in path.open(encoding="utf-8", errors="replace"))
    if not leaks:
        write(f"log scan: {lines} lines in {len(paths)} log files, {len(ISSUED.values)} issued values, no leak")
        return
    write(f"log scan: {len(leaks)} leak(s) in the test logs:", red=True, bold=True)
    for leak in leaks[:50]:
        write(f"  {leak.path.relative_to(ROOT)}:{leak.line}: {leak.kind} ({leak.sample})", red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED

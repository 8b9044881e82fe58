"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Never downloads a browser: it launches /usr/bin/chromium (`make chromium` installs it). Playwright's sync API runs an
event loop in the main thread, which makes Django refuse ORM calls from the test body unless
DJANGO_ALLOW_ASYNC_UNSAFE is set; the ORM calls in these tests are ordinary synchronous ones, so that is safe here.

Every e2e test is marked `pytest.mark.e2e` and needs `@pytest.mark.django_db(transaction=True)`: the live server runs
in another thread with its own connection, so it only sees committed rows. The root conftest.py gives every such
test `serialized_rollback`: it starts from the migrated database, seeded rows included.
"""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import (  # noqa: E402
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything under tests/e2e is a browser test, whether or not the author remembered the marker.
    for item in items:
        if "/tests/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    report = yield
    # Remembered so the `page` fixture can tell at teardown whether the test body failed.
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _content_types(transactional_db) -> None:
    """Content types as migrate leaves them. The first browser test can start on an emptied database that nothing
    restored (see `seeded_sla_policy` in tests/conftest.py), and the audit log (django-auditlog) records each change
    to a storefront, key or team against its content type: create the missing rows, and drop the process's cache of
    ids that no longer exist."""
    from django.apps import apps
    from django.contrib.contenttypes.management import create_contenttypes

    for app_config in apps.get_app_configs():
        create_contenttypes(app_config, verbosity=0)


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Playwright]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (or `sudo apt-get install -y chromium`)")
    with sync_playwright() as playwright:
        yield playwright


# Reported to the console by the page itself (an init script runs before the page's own and outside its CSP).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


class CspWatch:
    """Collects what Chromium says about Content-Security-Policy violations in every context of the session's
    browser: its own console message ("Refused to ... because it violates the following Content Security Policy
    directive") and the page's `securitypolicyviolation` event."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def attach(self, context: BrowserContext) -> None:
        context.add_init_script(script=CSP_LISTENER)
        context.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or message.text.startswith("CSP violation"):
            self.violations.append(f"{message.location.get('url', '')}: {message.text}")


class WatchedBrowser:
    """The session's Chromium, every new context of which reports CSP violations to the CspWatch."""

    def __init__(self, browser: Browser, watch: CspWatch) -> None:
        self._browser = browser
        self._watch = watch

    def new_context(self, **kwargs: object) -> BrowserContext:
        context = self._browser.new_context(**kwargs)
        self._watch.attach(context)
        return context

    def __getattr__(self, name: str) -> object:
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def csp_watch() -> CspWatch:
    return CspWatch()


@pytest.fixture(autouse=True)
def _no_csp_violations(csp_watch: CspWatch) -> Iterator[None]:
    """Fails a browser test in which Chromium reported a CSP violation: every page must work under the policy."""
    csp_watch.violations.clear()
    yield
    if csp_watch.violations:
        found = "\n".join(csp_watch.violations)
        csp_watch.violations.clear()
        pytest.fail(f"Chromium reported Content-Security-Policy violations:\n{found}")


@pytest.fixture(scope="session")
def browser(_playwright: Playwright, csp_watch: CspWatch) -> Iterator[Browser]:
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield WatchedBrowser(browser, csp_watch)
    browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (no cookies) and page per test; a screenshot lands in test-results/ on failure."""
    context = browser.new_context(locale="en-US", timezone_id="UTC", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    expect.set_options(timeout=TIMEOUT_MS)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        try:
            page.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)
        except Exception as exc:  # a crashed page must not hide the test's own failure
            print(f"could not save a screenshot: {exc}")
    context.close()


def login(page: Page, live_server, username: str, password: str) -> None:
    """Sign in through the login form, as a person would, and wait for the desk to load."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/desk/.*"))

"""Under the Content-Security-Policy in a real Chromium: an injected inline script is blocked and the e2e fixtures
notice; the API docs and the admin work; two-factor sign-in goes through with the QR code shown."""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from tests.factories import STAFF_PASSWORD, make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_an_inline_script_is_blocked_and_the_fixtures_report_it(page: Page, live_server, csp_watch):
    page.goto(f"{live_server.url}/accounts/login/")

    # when something puts an inline script into the page (as an XSS would)
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        " document.head.appendChild(s); }"
    )

    # then Chromium refuses to run it, and the fixtures saw the violation (which would fail any other test)
    assert page.evaluate("() => window.injected") is None
    page.wait_for_timeout(200)
    assert any("script-src" in violation for violation in csp_watch.violations), csp_watch.violations
    csp_watch.violations.clear()


def test_the_api_docs_render_under_the_policy(page: Page, live_server):
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.get_by_role("heading", name=re.compile("After-sales desk API"))).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()


def totp(secret: str, at: float) -> str:
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def test_an_admin_sets_up_two_factor_sign_in_and_reaches_the_admin(page: Page, live_server, settings):
    # given an administrator whose role must use an authenticator app
    settings.REQUIRE_2FA_FOR = ["admin"]
    get_user_model().objects.create_superuser("root", "root@example.com", STAFF_PASSWORD)
    make_staff("someone", "agent")

    # when they sign in on the admin's page
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # then they are asked to set up the app, with the QR code drawn and the key spelled out
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    qr = page.get_by_role("img", name="QR code of the secret key")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0
    secret = page.locator("[data-secret]").inner_text().strip()

    # when they type the app's code, they get their recovery codes and then the admin
    page.get_by_label("Code").fill(totp(secret, time.time()))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator("[data-recovery-codes] li")).to_have_count(10)
    page.get_by_role("link", name="I have saved them, continue").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.get_by_role("link", name="Staff API tokens").click()
    expect(page.get_by_role("heading", name=re.compile("staff API token"))).to_be_visible()

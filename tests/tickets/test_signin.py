"""Signing in (operations.md): lockout on both sign-in pages, password rules, two-factor sign-in with an authenticator
app and recovery codes, staff API tokens stored hashed, idle sessions. Through the real pages and commands."""

import base64
import hashlib
import hmac
import os
import re
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken

from tests.factories import STAFF_PASSWORD, make_staff
from tickets.models import StaffToken
from tickets.signin import LAST_ACTIVITY

pytestmark = pytest.mark.django_db

LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]
LOCKOUT_MESSAGE = "Too many failed sign-in attempts: this account or your address is locked for 15 minutes."


@pytest.fixture(autouse=True)
def _fast_password_hashes(settings):
    # Each refused password costs a full PBKDF2 run (by design); these tests refuse dozens.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), as an authenticator app computes it from the key shown at set-up."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def sign_in(
    client: Client, username: str, password: str, page: str = "/accounts/login/", next_url: str = "", **headers: str
):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(page, data, **headers)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# Lockout ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_twelve_wrong_passwords_lock_the_account_and_an_unlock_lets_the_right_one_in(page, supervisor):
    # given a supervisor (a staff user, so the admin's sign-in page takes them too) whose password someone guesses
    guesser = Client()
    responses = [sign_in(guesser, "supervisor", f"wrong-guess-{n}", page) for n in range(12)]

    # the first nine are ordinary refusals; from the tenth on the page says the account is locked
    assert all(response.status_code == 200 for response in responses[:9])
    assert all(response.status_code == 429 for response in responses[9:])
    assert LOCKOUT_MESSAGE in responses[9].content.decode()

    # when the real user then types the right password, on the same page
    owner = Client(REMOTE_ADDR="10.1.2.3")
    refused = sign_in(owner, "supervisor", STAFF_PASSWORD, page)

    # then they are refused with the lockout message, and not signed in
    assert refused.status_code == 429
    assert LOCKOUT_MESSAGE in refused.content.decode()
    assert not signed_in(owner)

    # when another supervisor unlocks the account on the desk
    colleague = make_staff("supervisor-2", "supervisor")
    desk = Client()
    desk.force_login(colleague)
    locks = desk.get("/desk/sign-in-locks/")
    assert locks.status_code == 200
    assert 'data-lock="supervisor"' in locks.content.decode()
    unlocked = desk.post("/desk/sign-in-locks/", {"kind": "account", "value": "supervisor"}, follow=True)
    assert "The account supervisor can sign in again." in unlocked.content.decode()

    # then the right password signs them in
    response = sign_in(owner, "supervisor", STAFF_PASSWORD, page)
    assert response.status_code == 302
    assert signed_in(owner)


def test_the_lockout_page_speaks_chinese_too(agent):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    for n in range(10):
        response = sign_in(client, "agent", f"wrong-{n}")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()


def test_fifty_failures_from_one_address_lock_the_address_for_every_account(agent, supervisor):
    # given someone at one address trying fifty different accounts, a few times each
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(50):
        sign_in(attacker, f"user-{n % 20}", "guess-password")

    # then even a real account's right password is refused from that address...
    response = sign_in(attacker, "agent", STAFF_PASSWORD)
    assert response.status_code == 429
    assert not signed_in(attacker)
    # ...while the same account signs in from elsewhere (its own failures are far below ten)
    assert sign_in(Client(REMOTE_ADDR="198.51.100.1"), "agent", STAFF_PASSWORD).status_code == 302

    # and a supervisor sees the address on the unlock page and opens it
    desk = Client()
    desk.force_login(supervisor)
    assert 'data-lock="203.0.113.7"' in desk.get("/desk/sign-in-locks/").content.decode()
    desk.post("/desk/sign-in-locks/", {"kind": "address", "value": "203.0.113.7"})
    assert sign_in(attacker, "agent", STAFF_PASSWORD).status_code == 302


def test_a_forged_forwarded_for_does_not_dodge_the_address_limit_but_a_configured_proxy_is_seen_through(
    settings, agent
):
    # without proxies configured, X-Forwarded-For is the client's word and is not believed
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(50):
        sign_in(attacker, f"user-{n}", "guess-password", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert sign_in(attacker, "agent", STAFF_PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200").status_code == 429

    # behind one proxy (every client arrives from its address), each client is counted by the address it forwarded
    settings.SIGNIN_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    for n in range(50):
        sign_in(proxy, f"user-{n}", "guess-password", HTTP_X_FORWARDED_FOR="forged, 198.51.100.66")
    assert sign_in(proxy, "agent", STAFF_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.66").status_code == 429
    assert sign_in(proxy, "agent", STAFF_PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.77").status_code == 302


def test_agents_cannot_unlock_and_a_bad_address_is_an_error_not_a_crash(agent_desk, supervisor):
    assert agent_desk.get("/desk/sign-in-locks/").status_code == 403
    supervisor_desk = Client()
    supervisor_desk.force_login(supervisor)
    response = supervisor_desk.post("/desk/sign-in-locks/", {"kind": "address", "value": "not-an-ip"}, follow=True)
    assert response.status_code == 200
    assert "Enter a valid IPv4 or IPv6 address." in response.content.decode()


# Passwords -----------------------------------------------------------------------------------------------------------


def test_create_staff_refuses_a_weak_password_with_the_reason_and_creates_nothing():
    with pytest.raises(CommandError) as refused:
        call_command("create_staff", "x", "--role", "agent", "--password", "password")

    assert "This password is too short. It must contain at least 10 characters." in str(refused.value)
    assert "This password is too common." in str(refused.value)
    assert not get_user_model().objects.filter(username="x").exists()
    assert not StaffToken.objects.exists()


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("1234567890123", "This password is entirely numeric."),
        ("mei.zhang.desk", "The password is too similar to the username."),
        ("demo1234", "This password is too short."),
    ],
)
def test_create_staff_names_each_validator_that_refuses(password, reason):
    with pytest.raises(CommandError, match=re.escape(reason)):
        call_command("create_staff", "mei.zhang.desk", "--role", "agent", "--password", password)


# Two-factor sign-in ------------------------------------------------------------------------------------------------


def set_up_authenticator(client: Client, next_url: str = "/desk/") -> tuple[str, list[str]]:
    """Go through the set-up page as a person would: read the key, type the app's code. Returns (key, codes)."""
    page = client.get(f"/accounts/2fa/setup/?next={next_url}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html  # the QR code, inline
    secret = re.search(r"data-secret>([A-Z2-7=]+)<", html).group(1)
    done = client.post("/accounts/2fa/setup/", {"code": totp(secret), "next": next_url})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    return secret, codes


def test_a_role_named_in_require_2fa_for_sets_up_an_authenticator_then_gives_a_code_at_every_sign_in(
    settings, supervisor
):
    settings.REQUIRE_2FA_FOR = ["supervisor"]
    client = Client()

    # the password alone leads to the set-up page, and nothing else opens meanwhile
    assert sign_in(client, "supervisor", STAFF_PASSWORD).status_code == 302
    response = client.get("/desk/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/setup/?next=%2Fdesk%2F"
    assert client.get("/alerts/")["Location"].startswith("/accounts/2fa/setup/")
    api = client.get("/api/v1/desk/tickets/")
    assert api.status_code == 403 and api.json()["type"] == "second_factor_required"
    page = client.get("/accounts/2fa/setup/").content.decode()
    assert "Your role signs in with a second factor." in page
    assert 'class="mainnav"' not in page  # no menu of pages that are closed until then

    # a wrong code is refused and says so
    wrong = client.post("/accounts/2fa/setup/", {"code": "000000"})
    assert wrong.status_code == 400
    assert "That code is not right." in wrong.content.decode()
    time.sleep(1.1)  # django-otp throttles: one second after a wrong code

    # the app's code turns it on, shows ten recovery codes once, and the desk opens
    secret, codes = set_up_authenticator(client)
    assert client.get("/desk/").status_code == 200

    # at the next sign-in the password is not enough: the desk asks for the code
    client.post("/accounts/logout/")
    sign_in(client, "supervisor", STAFF_PASSWORD)
    assert client.get("/desk/")["Location"] == "/accounts/2fa/verify/?next=%2Fdesk%2F"
    # (the authenticator cannot be replaced before the current one is given)
    assert client.get("/accounts/2fa/setup/")["Location"].startswith("/accounts/2fa/verify/")
    assert client.post("/accounts/2fa/verify/", {"code": "123456", "next": "/desk/"}).status_code == 400
    time.sleep(1.1)  # django-otp throttles: one second after a wrong code
    # the next 30-second step's code (the set-up used this step's; a code works once)
    response = client.post("/accounts/2fa/verify/", {"code": totp(secret, time.time() + 30), "next": "/desk/"})
    assert response.status_code == 302 and response["Location"] == "/desk/"
    assert client.get("/desk/").status_code == 200

    # a recovery code works instead of the phone, once
    client.post("/accounts/logout/")
    sign_in(client, "supervisor", STAFF_PASSWORD)
    assert client.post("/accounts/2fa/verify/", {"code": codes[0], "next": "/desk/"}).status_code == 302
    assert client.get("/desk/").status_code == 200
    client.post("/accounts/logout/")
    sign_in(client, "supervisor", STAFF_PASSWORD)
    assert client.post("/accounts/2fa/verify/", {"code": codes[0]}).status_code == 400
    assert client.get("/desk/").status_code == 302


def test_a_misspelt_role_in_require_2fa_for_stops_the_start_with_the_reason():
    env = {**os.environ, "DEBUG": "1", "REQUIRE_2FA_FOR": "supervisors"}
    result = subprocess.run(
        [sys.executable, "-W", "ignore::RuntimeWarning", "manage.py", "check"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "REQUIRE_2FA_FOR takes role names among agent, supervisor, finance, admin." in result.stderr


def test_the_admin_asks_for_the_second_factor_too(settings, db):
    settings.REQUIRE_2FA_FOR = ["admin"]
    get_user_model().objects.create_superuser("root", "root@example.com", STAFF_PASSWORD)
    client = Client()

    response = sign_in(client, "root", STAFF_PASSWORD, "/admin/login/", next_url="/admin/")
    assert response.status_code == 302
    assert client.get("/admin/")["Location"] == "/accounts/2fa/setup/?next=%2Fadmin%2F"

    set_up_authenticator(client, next_url="/admin/")
    assert client.get("/admin/").status_code == 200


def test_roles_not_named_sign_in_with_the_password_and_may_turn_it_on_from_preferences(settings, agent):
    settings.REQUIRE_2FA_FOR = ["supervisor", "admin"]
    client = Client()
    sign_in(client, "agent", STAFF_PASSWORD)
    assert client.get("/desk/").status_code == 200

    preferences = client.get("/desk/preferences/").content.decode()
    assert 'data-two-factor="off"' in preferences
    _secret, codes = set_up_authenticator(client, next_url="/desk/preferences/")
    preferences = client.get("/desk/preferences/").content.decode()
    assert 'data-two-factor="on"' in preferences and "10 recovery codes left." in preferences

    # new recovery codes replace the old ones, shown once
    fresh = client.post("/desk/preferences/2fa/recovery-codes/")
    new_codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", fresh.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    assert not StaticToken.objects.filter(token__in=codes).exists()

    # the next sign-in asks for a code
    client.post("/accounts/logout/")
    sign_in(client, "agent", STAFF_PASSWORD)
    assert client.get("/desk/")["Location"].startswith("/accounts/2fa/verify/")
    client.post("/accounts/2fa/verify/", {"code": new_codes[3]})

    # and they may turn it off again, which a required role may not
    client.post("/desk/preferences/2fa/off/")
    assert 'data-two-factor="off"' in client.get("/desk/preferences/").content.decode()


def test_a_required_role_cannot_turn_two_factor_off(settings, supervisor):
    settings.REQUIRE_2FA_FOR = ["supervisor"]
    client = Client()
    sign_in(client, "supervisor", STAFF_PASSWORD)
    set_up_authenticator(client)

    response = client.post("/desk/preferences/2fa/off/", follow=True)

    assert "Your role requires two-factor sign-in: it cannot be turned off." in response.content.decode()
    assert 'data-two-factor="on"' in response.content.decode()


# Staff API tokens --------------------------------------------------------------------------------------------------


def test_create_staff_prints_a_token_that_is_stored_only_as_a_hash(capsys):
    call_command("create_staff", "mei", "--role", "agent", "--password", "long-enough-pass")
    token = capsys.readouterr().out.strip().splitlines()[-1]

    stored = StaffToken.objects.get(user__username="mei")
    assert stored.hashed_key == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {stored.prefix, stored.hashed_key}
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/desk/tickets/").status_code == 200


def test_rotating_on_the_preferences_page_shows_a_new_token_once_and_retires_the_old(agent, agent_desk):
    old = agent.token

    page = agent_desk.post("/desk/preferences/token/rotate/")

    new = re.search(r"data-staff-token>([^<]+)<", page.content.decode()).group(1)
    assert new != old
    assert Client(HTTP_AUTHORIZATION=f"Token {old}").get("/api/v1/desk/tickets/").status_code == 401
    assert Client(HTTP_AUTHORIZATION=f"Token {new}").get("/api/v1/desk/tickets/").status_code == 200
    # the preferences page names the token by its prefix only
    preferences = agent_desk.get("/desk/preferences/").content.decode()
    assert new.split(".")[0] in preferences and new not in preferences

    agent_desk.post("/desk/preferences/token/revoke/")
    assert Client(HTTP_AUTHORIZATION=f"Token {new}").get("/api/v1/desk/tickets/").status_code == 401


def test_an_admin_revokes_a_users_token(agent, db):
    admin_user = get_user_model().objects.create_superuser("root", "root@example.com", STAFF_PASSWORD)
    client = Client()
    client.force_login(admin_user)
    staff_token = StaffToken.objects.get(user=agent, revoked_at__isnull=True)

    response = client.post(
        "/admin/tickets/stafftoken/", {"action": "revoke", "_selected_action": [staff_token.pk]}, follow=True
    )

    assert "1 token revoked." in response.content.decode()
    assert Client(HTTP_AUTHORIZATION=f"Token {agent.token}").get("/api/v1/desk/tickets/").status_code == 401


# Idle sessions -----------------------------------------------------------------------------------------------------


def test_the_default_idle_time_is_thirty_minutes(settings):
    assert settings.SESSION_IDLE_MINUTES == 30
    assert settings.SESSION_COOKIE_AGE == 30 * 60


def test_a_session_ends_after_the_idle_time_and_the_users_own_requests_keep_it(settings, agent):
    settings.SESSION_COOKIE_AGE = 3  # seconds, for the test
    client = Client()
    sign_in(client, "agent", STAFF_PASSWORD)

    # requests from the user keep the session going past the idle time...
    for _step in range(3):
        time.sleep(1.5)
        assert client.get("/desk/").status_code == 200
    # ...refreshes the page makes by itself do not
    time.sleep(1.5)
    assert client.get("/desk/", HTTP_HX_REQUEST="true", HTTP_X_DESK_BACKGROUND="1").status_code == 200
    time.sleep(2)

    # after the idle time the session is over: a page goes to the sign-in page, an htmx refresh sends the browser there
    refresh = client.get("/desk/", HTTP_HX_REQUEST="true", HTTP_X_DESK_BACKGROUND="1")
    assert refresh.status_code == 204 and refresh["HX-Redirect"].startswith("/accounts/login/")
    response = client.get("/desk/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_signing_in_starts_the_idle_clock(agent):
    client = Client()
    sign_in(client, "agent", STAFF_PASSWORD)
    assert abs(client.session[LAST_ACTIVITY] - time.time()) < 5

"""What a copy of the database gives away: a pg_dump of the test database after a staff token, a rotated token and a
storefront API key were issued holds none of them (only their hashes), while it does hold the rows they belong to."""

import os
import re
import subprocess

import pytest
from django.db import connection
from django.test import Client

from tests.factories import StorefrontFactory, make_staff
from tickets import services

pytestmark = pytest.mark.django_db(transaction=True)


def pg_dump() -> str:
    params = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": params.get("PASSWORD") or ""}
    command = ["pg_dump", "--data-only", "--no-owner", "-d", params["NAME"], "-U", params.get("USER") or "postgres"]
    command += ["-h", params.get("HOST") or "127.0.0.1", "-p", str(params.get("PORT") or 5432)]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=120).stdout


def test_pg_dump_holds_no_staff_token_and_no_storefront_api_key():
    # given a storefront with its API key and webhook secret, a second key, a staff user's token, and a token that
    # was rotated on the preferences page
    storefront = StorefrontFactory(name="Dump Shop")
    _api_key, second_key = services.api_key_create(storefront=storefront)
    agent = make_staff("dump-agent", "agent")
    desk = Client()
    desk.force_login(agent)
    page = desk.post("/desk/preferences/token/rotate/").content.decode()
    rotated = re.search(r"data-staff-token>([^<]+)<", page).group(1)
    assert Client(HTTP_AUTHORIZATION=f"Token {rotated}").get("/api/v1/desk/tickets/").status_code == 200

    dump = pg_dump()

    # the dump is of this database and holds its rows (the webhook secret is needed in clear to sign)...
    assert storefront.webhook_secret in dump
    assert "dump-agent" in dump
    # ...but none of the keys and tokens, whole or their secret part
    for secret in (storefront.plain_key, second_key, agent.token, rotated):
        assert secret not in dump
        assert secret.split(".", 1)[1] not in dump

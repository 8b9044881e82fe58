"""The API answers as its schema says: schemathesis (all checks, every phase) against the live server's
/api/schema/, the storefront endpoints with an API key, the desk endpoints with a supervisor's token and the refunds
with finance's (four runs side by side), over a realistic installation (tests/api_data.py) whose objects the fuzzer
is given to address.

A failure prints schemathesis's own report: each request that broke a promise, with a curl line to replay it.
"""

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.api_data import ApiWorld, build_api_world
from tickets.throttling import ClientRateThrottle

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
BASE_CONFIG = Path(__file__).with_name("schemathesis.toml")
# Examples per operation and phase: enough to walk every constraint of every parameter (the coverage phase does so
# whatever this says), few enough to stay within a few minutes on CI's two cores.
MAX_EXAMPLES = 10
# A fixed seed: the same requests on every run, so a red run is a regression, reproducible with the printed curl.
SEED = 20261124

# Which path parameters address which of the world's objects: (path regex, parameter, dictionary).
ADDRESSES = [
    (r"^/api/v1/tickets/\{id\}/", "path.id", "tickets"),
    (r"^/api/v1/returns/\{id\}/", "path.id", "returns"),
    (r"^/api/v1/refunds/\{id\}/", "path.id", "refunds"),
    (r"^/api/v1/complaints/\{id\}/", "path.id", "complaints"),
    (r"^/api/v1/sales-stats/\{date\}/", "path.date", "sales_days"),
    (r"^/api/v1/desk/tickets/\{reference\}/", "path.reference", "ticket_references"),
    (r"^/api/v1/desk/tickets/\{reference\}/canned-responses/", "path.canned_id", "canned_responses"),
    (r"^/api/v1/desk/returns/\{id\}/", "path.id", "returns"),
    (r"^/api/v1/desk/refunds/\{id\}/", "path.id", "refunds"),
    (r"^/api/v1/desk/complaints/\{id\}/", "path.id", "complaints"),
    (r"^/api/v1/desk/alerts/\{id\}/", "path.id", "alerts"),
    (r"^/api/v1/desk/automation/(triggers|time-rules)/\{id\}/", "path.id", "automation_rules"),
    (r"^/api/v1/desk/tickets/\{reference\}/macros/", "path.macro_id", "macros"),
    (r"^/api/v1/desk/macros/\{macro_id\}/", "path.macro_id", "macros"),
    (r"^/api/v1/desk/views/\{view_id\}/", "path.view_id", "views"),
    (r"^/api/v1/desk/bulk-jobs/\{job_id\}/", "path.job_id", "bulk_jobs"),
    (r"^/api/v1/desk/(tickets|reports)/$", "query.storefront", "storefronts"),
    (r"^/api/v1/desk/(alerts|reports)/$", "query.team", "teams"),
]


def _config(world: ApiWorld) -> str:
    """The checked-in configuration, plus the world's ids: most generated requests then address objects that exist
    (in every state), so they reach the rules behind the 404."""
    lines = [BASE_CONFIG.read_text(), "", "[dictionaries]"]
    lines += [f"{name} = {{ values = {json.dumps(values)} }}" for name, values in world.ids.items()]
    for path, parameter, dictionary in ADDRESSES:
        lines += [
            "",
            "[[operations]]",
            f"include-path-regex = {json.dumps(path)}",
            f'parameters = {{ "{parameter}" = {{ dictionary = "{dictionary}", probability = 0.9 }} }}',
        ]
    return "\n".join(lines) + "\n"


def _command(schema: Path, base_url: str, config: Path, authorization: str, paths: list[str]) -> list[str]:
    return [
        SCHEMATHESIS,
        "--config-file",
        str(config),
        "--no-color",
        "run",
        str(schema),
        "--url",
        base_url,
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        # One worker per run: the runs go side by side, against one live server process.
        "--workers",
        "1",
        "--header",
        f"Authorization: {authorization}",
        "--output-truncate",
        "true",
        *paths,
    ]


def test_the_storefront_and_desk_apis_answer_as_their_schema_says(
    live_server, monkeypatch, tmp_path, seeded_sla_policy
):
    # The fuzzer sends thousands of requests a minute from one client: more than API_THROTTLE_RATE allows.
    monkeypatch.setattr(ClientRateThrottle, "rate", "1000000/min", raising=False)
    world = build_api_world()
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(world))
    # The live server's schema, fetched once: five runs asking for it at the same moment could each wait longer
    # than schemathesis's loading timeout on a busy machine.
    with urllib.request.urlopen(f"{live_server.url}/api/schema/?format=json", timeout=120) as response:
        schema = tmp_path / "schema.json"
        schema.write_bytes(response.read())
    url = live_server.url
    supervisor = f"Token {world.tokens['supervisor']}"
    runs = {
        "storefront API, with an API key": _command(
            schema, url, config, f"Api-Key {world.key}", ["--exclude-path-regex", "^/api/v1/desk/"]
        ),
        # The desk's operations in two halves, so the three runs take about as long as each other.
        "desk API (tickets, alerts, canned responses), with a supervisor's token": _command(
            schema,
            url,
            config,
            supervisor,
            ["--include-path-regex", "^/api/v1/desk/(tickets|alerts|canned-responses)/"],
        ),
        "desk API (returns, refunds, complaints, reports, power tools), with a supervisor's token": _command(
            schema,
            url,
            config,
            supervisor,
            ["--include-path-regex", "^/api/v1/desk/(returns|refunds|complaints|reports|views|macros|bulk-jobs|tags)/"],
        ),
        "desk API (automation), with a supervisor's token": _command(
            schema, url, config, supervisor, ["--include-path-regex", "^/api/v1/desk/automation/"]
        ),
        # Issuing and settling refunds is finance's alone: a supervisor only ever gets 403 there.
        "desk API (refunds), with finance's token": _command(
            schema, url, config, f"Token {world.tokens['finance']}", ["--include-path-regex", "^/api/v1/desk/refunds/"]
        ),
    }

    # All at once (the live server serves each request in its own thread); each one's report in its own file.
    started = {}
    for name, command in runs.items():
        output = (tmp_path / f"{len(started)}.txt").open("w")
        # Run in the test's own folder: schemathesis keeps its cache and Hypothesis's example database in the
        # working directory, which must not be the checkout.
        process = subprocess.Popen(command, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT, text=True)
        started[name] = (process, output)
    reports = {}
    for name, (process, output) in started.items():
        status = process.wait(timeout=600)
        output.close()
        reports[name] = (status, Path(output.name).read_text())

    # Every selected operation was tested, and none broke a promise of the schema.
    broken = []
    for name, (status, report) in reports.items():
        selected = re.search(r"Selected: (\d+)/\d+\s+Tested: (\d+)", report)
        tested_all = selected is not None and int(selected[1]) >= 5 and selected[1] == selected[2]
        if status != 0 or not tested_all:
            broken.append(f"===== {name}: exit status {status} =====\n{report[-15000:]}")
    assert not broken, "\n".join(broken)

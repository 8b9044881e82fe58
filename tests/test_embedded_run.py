"""`make run` on a fresh machine: the embedded SQLite database and file broker, web + worker + beat, demo data.

The rest of the suite runs on PostgreSQL; this is the one test of what a newcomer gets from the README's first
command, run for real in a child process with its own empty var/ directory.
"""

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import closed_port

ROOT = Path(__file__).resolve().parent.parent

# The queue of every open ticket as a supervisor sees it: whether those with a running deadline come first.
QUEUE_CHECK = """
import json
from django.contrib.auth.models import User
from tickets.selectors import ticket_queue
rows = ticket_queue(user=User.objects.get(username="supervisor"), scope="all").values_list("next_due_at", flat=True)
due = [value is not None for value in rows]
ordered = due == sorted(due, reverse=True)
print(json.dumps({"with_deadline": sum(due), "without": len(due) - sum(due), "sorted": ordered}))
"""


def _embedded_env(var_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER")}
    env.update(VAR_DIR=str(var_dir), PORT=str(port), DJANGO_SETTINGS_MODULE="aftersales.settings")
    return env


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (a local URL built here)
        return response.status, response.read().decode()


@pytest.mark.timeout(300)
def test_make_run_serves_the_login_page_on_an_empty_embedded_database(tmp_path):
    port = closed_port()
    env = _embedded_env(tmp_path / "var", port)
    run = subprocess.Popen(  # noqa: S603
        ["make", "--no-print-directory", "run"],  # noqa: S607
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline, status, page = time.monotonic() + 200, None, ""
        while time.monotonic() < deadline and run.poll() is None:
            try:
                status, page = _get(f"http://127.0.0.1:{port}/accounts/login/")
                break
            except OSError:
                time.sleep(1)
        # then the login page answers, with its stylesheet
        assert status == 200, f"make run exited with {run.poll()}"
        assert 'name="username"' in page and 'name="password"' in page
        assert _get(f"http://127.0.0.1:{port}/static/css/desk.css")[0] == 200
    finally:
        os.killpg(run.pid, signal.SIGINT)
        try:
            output, _ = run.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            output, _ = run.communicate()
    # and the newcomer was told where to go and how to log in as each role
    assert f"http://127.0.0.1:{port}/" in output
    for login in ("agent", "supervisor", "finance", "admin"):
        assert f"\n  {login} " in output
    assert "Demo history added: 30 days of sales" in output
    assert (tmp_path / "var" / "aftersales.sqlite3").exists()
    # and the output is the quiet one the README shows: every time in one zone (honcho's, gunicorn's, Celery's and
    # the application's lines), no start-up banners or warnings a newcomer can do nothing about
    offsets = {offset.replace(":", "") for offset in re.findall(r"\d\d:\d\d(?:\.\d+)? ?([+-]\d\d:?\d\d)\b", output)}
    assert len(offsets) == 1, offsets
    for noise in ("AXES: BEGIN", "No hostname was supplied", "models.W040", "-------------- celery@", "[tasks]"):
        assert noise not in output, noise

    # the SLA sweep works on the embedded database too: a later sweep raises the demo tickets' alerts, once
    def manage(*args: str) -> str:
        result = subprocess.run(  # noqa: S603
            [str(ROOT / ".venv/bin/python"), "manage.py", *args],
            cwd=ROOT,
            env={**env, "DEBUG": "1"},
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip().splitlines()[-1]

    def sweep(at: str) -> dict[str, int]:
        return json.loads(manage("sweep_sla", "--at", at))

    first = sweep("2030-01-01T00:00:00Z")
    assert first["breaches"] > 0
    assert sweep("2030-01-01T00:00:00Z") == {"warnings": 0, "breaches": 0, "escalations": 0}

    # and the queue sorts tickets without a running deadline last here too, as on PostgreSQL
    queue = json.loads(manage("shell", "-c", QUEUE_CHECK))
    assert queue["with_deadline"] > 0 and queue["without"] > 0
    assert queue["sorted"]

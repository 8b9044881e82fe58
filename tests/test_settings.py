"""Production settings without DEBUG: no default secret for anything that serves or writes, but the build-time
checks (a CI's `makemigrations --check`, an image's `collectstatic`) run without one."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-W", "ignore::RuntimeWarning", "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_a_secret_key_the_migrations_check_still_runs():
    result = _manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_without_a_secret_key_nothing_that_touches_data_starts():
    result = _manage("migrate", "--plan")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr

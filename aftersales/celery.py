import logging
import logging.config
import os
import time
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")

app = Celery("aftersales")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

task_logger = logging.getLogger("aftersales.task")
_started: dict[str, float] = {}


@signals.setup_logging.connect
def _use_django_logging(**kwargs: Any) -> None:
    """Workers and beat log through settings.LOGGING (time zone, JSON, the redacting filter) instead of Celery's own
    handlers, which would bypass the filter."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.task_prerun.connect
def _task_started(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id:
        _started[task_id] = time.monotonic()


@signals.task_postrun.connect
def _task_finished(task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any) -> None:
    """One line per task: name, id, outcome, duration. Never the arguments or the result (ids and counts today, but
    a line that prints them would print whatever a later task is given)."""
    if not task_id:
        return
    started = _started.pop(task_id, None)
    duration_ms = round((time.monotonic() - started) * 1000, 1) if started is not None else None
    name = getattr(task, "name", "?")
    retries = getattr(getattr(task, "request", None), "retries", 0) or 0
    task_logger.info(
        "task %s %s %s %sms",
        name,
        task_id,
        state,
        duration_ms,
        extra={"task": name, "task_id": task_id, "state": state, "duration_ms": duration_ms, "retries": retries},
    )

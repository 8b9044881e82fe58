"""Celery tasks of the alerts app: plain values in, one service call each, safe to run twice."""

import time

from celery import shared_task

from alerts import services
from alerts.metrics import record_sweep


@shared_task(acks_late=True, ignore_result=True)
def sweep_sla() -> dict[str, int]:
    # Overlapping or duplicated runs are harmless: every alert is unique in the database.
    started = time.monotonic()
    counts = services.sla_sweep()
    record_sweep(duration_seconds=time.monotonic() - started, counts=counts)
    return counts


@shared_task(acks_late=True, ignore_result=True)
def evaluate_kpis() -> dict:
    # Re-runs and overlaps raise nothing twice: one alert per (threshold, period), unique in the database.
    return services.kpis_evaluate()


@shared_task(acks_late=True, ignore_result=True)
def send_alert_notifications(alert_ids: list[int]) -> int:
    return services.alerts_send_notifications(alert_ids=alert_ids)


@shared_task(acks_late=True, ignore_result=True)
def send_pending_alert_notifications() -> int:
    return services.alerts_send_pending()

"""KPI evaluation: every active warning line, for its current period so far and, once more, for the period just closed.

Exactly once: a crossing raises one `kpi` alert per (threshold, period), keyed "kpi:<threshold id>:<local date the
period starts>" under the alert's (kind, key) unique constraint. The keys already raised are read first (so a re-run
inserts nothing); a new alert is inserted in its own savepoint, and when a concurrent evaluation inserted the same
key first, the constraint refuses ours (the insert waits for the other transaction, then fails) and it is skipped.

A closed period is evaluated once after it ends, to count its last hour: the evaluation writes a KpiPeriodResult
(unique per threshold and period), and a period with a result is not looked at again.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts.kpis import KpiScope, KpiValue, kpi_values, period_bounds
from alerts.models import Alert, AlertKind, KpiPeriodResult, KpiThreshold
from alerts.services.notifications import alerts_notify

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Check:
    threshold: KpiThreshold
    period_start: datetime
    period_end: datetime
    until: datetime  # the end of what is measured: now for the current period, the period's end for a closed one
    final: bool

    @property
    def scope(self) -> KpiScope:
        return KpiScope(
            start=self.period_start,
            end=self.until,
            storefront_id=self.threshold.storefront_id,
            team_id=self.threshold.team_id,
        )

    @property
    def local_start(self) -> str:
        return f"{timezone.localtime(self.period_start):%Y-%m-%d}"

    @property
    def key(self) -> str:
        return f"kpi:{self.threshold.pk}:{self.local_start}"


def _checks(thresholds: list[KpiThreshold], now: datetime) -> list[_Check]:
    current, closed = [], []
    for threshold in thresholds:
        start, end = period_bounds(threshold.period, now)
        if now > start:
            current.append(_Check(threshold, start, end, now, final=False))
        previous_start, _previous_end = period_bounds(threshold.period, start - timedelta(microseconds=1))
        closed.append(_Check(threshold, previous_start, start, start, final=True))
    done = set(
        KpiPeriodResult.objects.filter(
            threshold__in=thresholds, period_start__in={check.period_start for check in closed}
        ).values_list("threshold_id", "period_start")
    )
    return current + [check for check in closed if (check.threshold.pk, check.period_start) not in done]


def _facts(check: _Check, value: KpiValue) -> dict[str, Any]:
    """What the alert says, stored as plain values; Alert.text words it in each reader's language."""
    threshold = check.threshold
    return {
        "kpi": threshold.kpi,
        "value": str(value.value),
        "unit": value.unit,
        "comparison": threshold.comparison,
        "line_value": str(threshold.value),
        "line_value_max": str(threshold.value_max) if threshold.value_max is not None else None,
        "period": threshold.period,
        "period_start": check.local_start,
        "final": check.final,
        "threshold": threshold.pk,
        "storefront": threshold.storefront.name if threshold.storefront_id else None,
        "team": threshold.team.name if threshold.team_id else None,
    }


def _raise(check: _Check, value: KpiValue, now: datetime) -> Alert | None:
    """Insert the alert of one crossing and its notifications; None when it exists already (a concurrent run)."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                kind=AlertKind.KPI,
                key=check.key,
                team_id=check.threshold.team_id,
                data=_facts(check, value),
                occurred_at=min(now, check.period_end),
                created_at=now,
            )
            alerts_notify(alert_ids=[alert.pk], now=now)
            _post_to_chat(check.threshold, alert, now)
    except IntegrityError:
        return None
    return alert


def _post_to_chat(threshold: KpiThreshold, alert: Alert, now: datetime) -> None:
    """The warning line's chat group hears of the crossing too, in its language, with a link to the KPI alerts."""
    channel = threshold.chat_channel
    if channel is None or not channel.is_active:
        return
    from django.urls import reverse
    from django.utils import translation
    from django.utils.translation import gettext

    from alerts.models import kpi_alert_text
    from tickets.services.chat import chat_post, site_link

    with translation.override(channel.language):
        title, text = gettext("KPI alert"), kpi_alert_text(alert.data)
    link = site_link(reverse("alerts:dashboard") + "?kind=" + AlertKind.KPI)
    chat_post(channel=channel, title=title, text=str(text), link=link, now=now)


def kpis_evaluate(*, now: datetime | None = None) -> dict[str, Any]:
    """Evaluate every active warning line; returns {"evaluated": n, "alerts": [...the alerts raised by this run]}.

    Safe to re-run and to run twice at once: each (threshold, period) raises at most one alert. The KPIs are computed
    once per distinct scope (period, storefront, team), a fixed number of queries each.
    """
    now = now or timezone.now()
    thresholds = list(
        KpiThreshold.objects.filter(is_active=True).select_related("storefront", "team", "chat_channel").order_by("pk")
    )
    checks = _checks(thresholds, now) if thresholds else []
    values_by_scope: dict[KpiScope, dict[str, KpiValue]] = {}
    crossed: list[tuple[_Check, KpiValue]] = []
    results: list[KpiPeriodResult] = []
    for check in checks:
        if check.scope not in values_by_scope:
            values_by_scope[check.scope] = kpi_values(check.scope)
        value = values_by_scope[check.scope][check.threshold.kpi]
        met = check.threshold.is_met(value.value)
        if met is False:
            crossed.append((check, value))
        if check.final:
            results.append(
                KpiPeriodResult(
                    threshold=check.threshold,
                    period_start=check.period_start,
                    period_end=check.period_end,
                    value=value.value,
                    met=met,
                    evaluated_at=now,
                )
            )
    raised_keys = set(
        Alert.objects.filter(kind=AlertKind.KPI, key__in=[check.key for check, _value in crossed]).values_list(
            "key", flat=True
        )
    )
    raised = []
    for check, value in crossed:
        if check.key in raised_keys:
            continue
        alert = _raise(check, value, now)
        if alert is None:
            continue
        raised.append(
            {
                "alert": alert.pk,
                "kpi": check.threshold.kpi,
                "period": check.threshold.period,
                "period_start": check.local_start,
                "final": check.final,
                "value": value.value,
                "unit": value.unit,
                "threshold": check.threshold.pk,
                "line": {"comparison": check.threshold.comparison, "value": check.threshold.value}
                | ({"value_max": check.threshold.value_max} if check.threshold.value_max is not None else {}),
                "storefront": check.threshold.storefront_id,
                "team": check.threshold.team_id,
            }
        )
    # Written after the alerts: should the run stop in between, the next one evaluates the closed period again and
    # the alert keys keep it from raising twice.
    KpiPeriodResult.objects.bulk_create(results, ignore_conflicts=True)
    logger.info("KPI evaluation at %s: %s checks, %s alerts", now.isoformat(), len(checks), len(raised))
    return {"evaluated": len(checks), "alerts": raised}

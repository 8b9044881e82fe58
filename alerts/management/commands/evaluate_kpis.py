import json
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from alerts import services


class Command(BaseCommand):
    help = (
        "One KPI evaluation: every active warning line, for the current period so far and the period just closed. "
        'Last line: {"evaluated": n, "alerts": [{"kpi", "period", "period_start", "value", "threshold", ...}]}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", help="evaluate as if it were this instant (ISO 8601; no offset = UTC)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = self._parse_at(options["at"]) if options["at"] is not None else None
        result = services.kpis_evaluate(now=now)
        self.stdout.write(json.dumps(result, cls=DjangoJSONEncoder))

    def _parse_at(self, text: str) -> datetime:
        try:
            value = parse_datetime(text.strip().replace("Z", "+00:00"))
        except ValueError:
            value = None
        if value is None:
            raise CommandError(f"--at is not an ISO 8601 date and time (e.g. 2026-03-10T08:00:00+08:00): {text!r}")
        if timezone.is_naive(value):
            value = value.replace(tzinfo=UTC)
        return value

import json
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tickets.services.automation import time_rules_run


class Command(BaseCommand):
    help = (
        "Fire the active time rules on the tickets they match now (beat does this every 15 minutes). "
        'Last line: {"matched": n, "fired": n}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at", help="check as at this instant (ISO 8601, e.g. 2026-10-13T13:15:00+08:00; no offset = UTC)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = self._parse_at(options["at"]) if options.get("at") else None
        result = time_rules_run(now=now)
        self.stdout.write(json.dumps(result))

    def _parse_at(self, text: str) -> datetime:
        # Read as sweep_sla and evaluate_kpis read their --at: one instant whichever command an operator runs.
        try:
            value = parse_datetime(text.strip().replace("Z", "+00:00"))
        except ValueError:
            value = None
        if value is None:
            raise CommandError(f"--at: not an ISO 8601 instant: {text!r}")
        if timezone.is_naive(value):
            value = value.replace(tzinfo=UTC)
        return value

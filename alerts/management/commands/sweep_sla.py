import json
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from alerts import services


class Command(BaseCommand):
    help = 'One SLA sweep. Last line: {"warnings": n, "breaches": n, "escalations": n}.'

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", help="evaluate as if it were this instant (ISO 8601; no offset = UTC)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = self._parse_at(options["at"]) if options["at"] else None
        counts = services.sla_sweep(now=now)
        self.stdout.write(json.dumps(counts))

    def _parse_at(self, text: str) -> datetime:
        try:
            value = parse_datetime(text.replace("Z", "+00:00"))
        except ValueError:
            value = None
        if value is None:
            raise CommandError(f"--at is not an ISO 8601 date and time: {text!r}")
        if timezone.is_naive(value):
            value = value.replace(tzinfo=UTC)
        return value

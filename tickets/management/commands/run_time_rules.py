import json
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tickets.services.automation import time_rules_run


class Command(BaseCommand):
    help = (
        "Fire the active time rules on the tickets they match now (beat does this every 15 minutes). "
        'Last line: {"matched": n, "fired": n}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", help="check as at this instant (ISO 8601, e.g. 2026-10-13T13:15:00+08:00)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = None
        if options.get("at"):
            try:
                now = datetime.fromisoformat(options["at"])
            except ValueError as error:
                raise CommandError(f"--at: not an ISO 8601 instant: {options['at']!r}") from error
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        result = time_rules_run(now=now)
        self.stdout.write(json.dumps(result))

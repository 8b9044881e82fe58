import json
from typing import Any

from django.core.management.base import BaseCommand

from tickets import services


class Command(BaseCommand):
    help = (
        "Recount every agent's open tickets for auto-assignment (tickets_agentload) from the tickets themselves: after "
        'loaddata or a data-only restore. Last line: {"agents": n, "open_tickets": n}.'
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(services.agent_load_recount()))

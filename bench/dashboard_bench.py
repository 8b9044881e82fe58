"""How fast the alerts dashboard answers at 1,000,000 tickets.

    .venv/bin/python bench/dashboard_bench.py

Builds (in its own database, aftersales_bench_sla) 1,000,000 tickets over a year with 1.9 million clocks, 100,000
running, 50,000 past breach alerts and the default KPI warning lines, then runs one sweep to raise 1,000 open
breaches, and times the figures alone and the whole page (GET /alerts/ as a signed-in supervisor, and the 15-second
htmx refresh), with their query counts. Each timing is the median of five requests after one warm-up.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import sla_data
from bench.common import seed_kpi_thresholds, timed

RUNS = 5


def main() -> None:
    sla_data.setup_django()
    from django.contrib.auth.models import User
    from django.test import Client
    from django.utils import timezone

    from alerts.selectors import dashboard_figures
    from alerts.services import sla_sweep

    now = timezone.now()
    built = sla_data.build(tickets=1_000_000, running=100_000, due=1000, now=now, history_alerts=50_000)
    # The page's KPI strip (today's and this week's KPIs against the warning lines) is part of what is timed.
    seed_kpi_thresholds()
    sla_sweep(now=now)
    sizes = sla_data.counts()
    print(
        f"data: {sizes['tickets']} tickets, {sizes['clocks']} clocks ({sizes['running_clocks']} running), "
        f"built in {built:.0f} s",
        flush=True,
    )
    supervisor = User.objects.get(username="bench-supervisor-0")
    client = Client(SERVER_NAME="localhost")
    client.force_login(supervisor)

    def page() -> None:
        response = client.get("/alerts/")
        assert response.status_code == 200, response.status_code

    def refresh() -> None:
        response = client.get("/alerts/", headers={"HX-Request": "true"})
        assert response.status_code == 200, response.status_code

    figures, figure_queries = timed(dashboard_figures, RUNS)
    full, full_queries = timed(page, RUNS)
    live, live_queries = timed(refresh, RUNS)
    print(f"dashboard figures: {figures * 1000:.0f} ms ({figure_queries} queries)")
    print(f"GET /alerts/: {full * 1000:.0f} ms ({full_queries} queries)")
    print(f"GET /alerts/ (htmx refresh): {live * 1000:.0f} ms ({live_queries} queries)")
    print("target: under 1 s at 1,000,000 tickets")


if __name__ == "__main__":
    main()

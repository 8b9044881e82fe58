"""KPI evaluation: one `kpi` alert per (warning line, period) however many evaluations run, even two at once; the
closed period looked at once more; the supervisors told once; the command and the hourly task."""

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from aftersales.celery import app as celery_app
from alerts import services
from alerts.models import Alert, AlertKind, Comparison, Kpi, KpiPeriod, KpiPeriodResult, KpiThreshold, Notification
from tests.factories import TeamFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

# Tuesday 10 March 2026 in Asia/Shanghai: [2026-03-09 16:00 UTC, 2026-03-10 16:00 UTC).
DAY_START = datetime(2026, 3, 9, 16, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.fixture
def line(db) -> KpiThreshold:
    """Only one warning line active: first response time at most 2 h a day, all storefronts and teams."""
    KpiThreshold.objects.update(is_active=False)
    return KpiThreshold.objects.create(
        kpi=Kpi.FIRST_RESPONSE_TIME, comparison=Comparison.AT_MOST, value=Decimal("2"), period=KpiPeriod.DAY
    )


def with_email(*users) -> None:
    for user in users:
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])


def answered_after(storefront, created_at: datetime, hours: float) -> Ticket:
    return Ticket.objects.create(
        storefront=storefront,
        subject="Parcel",
        created_at=created_at,
        updated_at=created_at,
        first_response_at=created_at + timedelta(hours=hours),
    )


def test_a_crossing_raises_one_kpi_alert_for_the_supervisors_by_e_mail_once(
    line, storefront, agent, supervisor, django_capture_on_commit_callbacks
):
    with_email(agent, supervisor)
    answered_after(storefront, DAY_START + H, 5)  # 01:00 local, answered at 06:00: 5 h against <= 2 h

    with django_capture_on_commit_callbacks(execute=True):
        result = services.kpis_evaluate(now=DAY_START + 8 * H)

    alert = Alert.objects.get()
    assert (alert.kind, alert.key, alert.ticket, alert.team) == (AlertKind.KPI, f"kpi:{line.pk}:2026-03-10", None, None)
    assert str(alert.text) == (
        "First response time is 5 h so far, outside its warning line ≤ 2 h (all storefronts and teams, day 2026-03-10)"
    )
    assert result["alerts"] == [
        {
            "alert": alert.pk,
            "kpi": "first_response_time",
            "period": "day",
            "period_start": "2026-03-10",
            "final": False,
            "value": Decimal("5.00"),
            "unit": "hours",
            "threshold": line.pk,
            "line": {"comparison": "at_most", "value": Decimal("2.00")},
            "storefront": None,
            "team": None,
        }
    ]
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["supervisor"]
    assert [m.to for m in mail.outbox] == [["supervisor@example.com"]]
    assert "First response time is 5 h" in mail.outbox[0].subject
    assert "/alerts/?kind=kpi" in mail.outbox[0].body

    # The next hourly runs: the same period, nothing new, nobody e-mailed again.
    for hour in (9, 10, 11):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.kpis_evaluate(now=DAY_START + hour * H)["alerts"] == []
    assert Alert.objects.count() == 1
    assert len(mail.outbox) == 1


def test_the_alert_names_its_scope_and_goes_to_the_lines_team(line, storefront):
    team = TeamFactory(name="Returns desk")
    line.storefront, line.team = storefront, team
    line.save()
    Ticket.objects.create(
        storefront=storefront,
        team=team,
        subject="Parcel",
        created_at=DAY_START + H,
        updated_at=DAY_START + H,
        first_response_at=DAY_START + 4 * H,
    )
    services.kpis_evaluate(now=DAY_START + 5 * H)

    alert = Alert.objects.get()

    assert alert.team == team
    assert "(storefront Acme Shop, team Returns desk, day 2026-03-10)" in str(alert.text)


def test_each_period_gets_its_own_alert_and_a_met_line_raises_none(line, storefront):
    answered_after(storefront, DAY_START + H, 3)  # day 1: 3 h
    answered_after(storefront, DAY_START + 25 * H, 1)  # day 2: 1 h, within the line
    answered_after(storefront, DAY_START + 49 * H, 4)  # day 3: 4 h

    raised = [services.kpis_evaluate(now=DAY_START + hour * H)["alerts"] for hour in range(5, 72, 1)]

    keys = sorted(Alert.objects.values_list("key", flat=True))
    assert keys == [f"kpi:{line.pk}:2026-03-10", f"kpi:{line.pk}:2026-03-12"]
    assert sum(len(alerts) for alerts in raised) == 2


def test_the_closed_period_is_evaluated_once_more_after_it_ends(line, storefront):
    # At 23:05 local the day is within its line; a ticket of 23:10 answered at 03:40 the next day then counts for it.
    answered_after(storefront, DAY_START + H, 1)
    assert services.kpis_evaluate(now=DAY_START + 23 * H + timedelta(minutes=5)) == {"evaluated": 2, "alerts": []}
    answered_after(storefront, DAY_START + 23 * H + timedelta(minutes=10), 4.5)

    after_midnight = services.kpis_evaluate(now=DAY_START + 24 * H + timedelta(minutes=5))

    assert after_midnight["evaluated"] == 2  # the new day so far, and the day just closed, once more
    assert [(a["period_start"], a["final"], a["value"]) for a in after_midnight["alerts"]] == [
        ("2026-03-10", True, Decimal("2.75"))  # (1 + 4.5) / 2
    ]
    alert = Alert.objects.get()
    assert alert.occurred_at == DAY_START + 24 * H  # the end of the day it is about
    assert str(alert.text).startswith("First response time was 2.75 h, outside its warning line")
    result = KpiPeriodResult.objects.get(period_start=DAY_START)
    assert (result.threshold, result.period_start, result.value, result.met) == (
        line,
        DAY_START,
        Decimal("2.75"),
        False,
    )

    # An hour later the closed day is not looked at again: only the current day is evaluated.
    assert services.kpis_evaluate(now=DAY_START + 25 * H + timedelta(minutes=5)) == {"evaluated": 1, "alerts": []}
    assert KpiPeriodResult.objects.filter(threshold=line).count() == 2  # 9 and 10 March, once each


def test_a_week_line_is_keyed_by_the_monday_its_week_starts(line, storefront):
    line.period = KpiPeriod.WEEK
    line.save()
    answered_after(storefront, DAY_START + H, 3)  # Tuesday 10 March; the ISO week starts Monday 9 March

    result = services.kpis_evaluate(now=DAY_START + 5 * H)

    assert [a["period_start"] for a in result["alerts"]] == ["2026-03-09"]
    assert Alert.objects.get().key == f"kpi:{line.pk}:2026-03-09"
    assert "week 2026-W11 (from 2026-03-09)" in str(Alert.objects.get().text)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_evaluations_at_the_same_moment_raise_each_alert_once(storefront, supervisor):
    KpiThreshold.objects.update(is_active=False)
    lines = [
        KpiThreshold.objects.create(kpi=Kpi.FIRST_RESPONSE_TIME, comparison=Comparison.AT_MOST, value=Decimal(limit))
        for limit in ("1", "2", "3")
    ]
    answered_after(storefront, DAY_START + H, 4)
    at = DAY_START + 6 * H
    barrier = threading.Barrier(3)
    results: list[dict] = []
    errors: list[BaseException] = []

    def evaluate() -> None:
        try:
            barrier.wait()
            results.append(services.kpis_evaluate(now=at))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=evaluate) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(Alert.objects.values_list("key", flat=True)) == sorted(f"kpi:{x.pk}:2026-03-10" for x in lines)
    assert sum(len(r["alerts"]) for r in results) == 3
    assert Notification.objects.filter(recipient=supervisor).count() == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_evaluation_racing_an_uncommitted_one_waits_for_it_and_raises_nothing(storefront, supervisor):
    KpiThreshold.objects.update(is_active=False)
    line = KpiThreshold.objects.create(kpi=Kpi.FIRST_RESPONSE_TIME, comparison=Comparison.AT_MOST, value=Decimal("2"))
    answered_after(storefront, DAY_START + H, 4)
    at = DAY_START + 6 * H
    inserted, release = threading.Event(), threading.Event()
    results: list[dict] = []
    errors: list[BaseException] = []

    def first_evaluation_not_yet_committed() -> None:
        # What a concurrent evaluation has done at the moment ours checks: inserted the alert, not committed it.
        try:
            with transaction.atomic():
                Alert.objects.create(kind=AlertKind.KPI, key=f"kpi:{line.pk}:2026-03-10", occurred_at=at, created_at=at)
                inserted.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    def second_evaluation() -> None:
        try:
            results.append(services.kpis_evaluate(now=at))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    first = threading.Thread(target=first_evaluation_not_yet_committed)
    first.start()
    inserted.wait(timeout=30)
    second = threading.Thread(target=second_evaluation)
    second.start()
    # The second evaluation's insert waits on the unique index for the first transaction.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
        time.sleep(0.05)
    else:
        release.set()
        pytest.fail("the second evaluation never waited on the first one's alert")
    release.set()
    first.join()
    second.join()

    assert errors == []
    assert results == [{"evaluated": 2, "alerts": []}]
    assert Alert.objects.count() == 1


def test_the_hourly_task_run_twice_raises_nothing_the_second_time(line, storefront, supervisor):
    from alerts.tasks import evaluate_kpis

    now = timezone.now()
    # Whatever the hour the test runs at, this ticket lies in today or in the day just closed: both are evaluated.
    answered_after(storefront, now - 3 * H, 2.5)

    evaluate_kpis.delay()
    evaluate_kpis.delay()

    assert Alert.objects.filter(kind=AlertKind.KPI).count() == 1
    assert Notification.objects.filter(recipient=supervisor).count() == 1
    schedule = django_settings.CELERY_BEAT_SCHEDULE["evaluate-kpis"]
    assert schedule["task"] == "alerts.tasks.evaluate_kpis"
    assert schedule["task"] in celery_app.tasks
    assert (schedule["schedule"].minute, schedule["schedule"].hour) == ({5}, set(range(24)))  # hourly at :05


def test_the_command_prints_the_alerts_raised_as_its_last_line(line, storefront):
    answered_after(storefront, DAY_START + H, 3)
    out = StringIO()

    call_command("evaluate_kpis", "--at", "2026-03-10T14:00:00+08:00", stdout=out)
    call_command("evaluate_kpis", "--at", "2026-03-10T15:00:00+08:00", stdout=out)

    first, second = (json.loads(text) for text in out.getvalue().strip().splitlines()[-2:])
    assert first["evaluated"] == 2
    assert [(a["kpi"], a["period"], a["period_start"], a["value"], a["threshold"]) for a in first["alerts"]] == [
        ("first_response_time", "day", "2026-03-10", "3.00", line.pk)
    ]
    assert second == {"evaluated": 1, "alerts": []}  # the day so far; the closed day was looked at once already


@pytest.mark.parametrize("at", ["yesterday", "2026-13-45T10:00:00", "2026-03-10T25:00", ""])
def test_a_bad_at_is_a_clear_error(at):
    with pytest.raises(CommandError, match="--at is not an ISO 8601 date and time"):
        call_command("evaluate_kpis", "--at", at, stdout=StringIO())


# --- on the dashboard ------------------------------------------------------------------------------------------------


def test_kpi_alerts_are_listed_with_the_others_without_a_ticket_and_filtered_by_kind(
    line, storefront, agent, supervisor, supervisor_desk
):
    from tests.factories import make_ticket

    breached = make_ticket(storefront, now=timezone.now() - 3 * H)
    services.sla_sweep()
    answered_after(storefront, DAY_START + H, 5)
    services.kpis_evaluate(now=DAY_START + 8 * H)
    kpi_alert = Alert.objects.get(kind=AlertKind.KPI)

    page = supervisor_desk.get("/alerts/").content.decode()
    only_kpi = supervisor_desk.get("/alerts/", {"kind": "kpi"})

    assert breached.reference in page and "First response time is 5 h so far" in page
    assert [a.kind for a in only_kpi.context["alerts"]] == [AlertKind.KPI]
    row = only_kpi.content.decode().split(f'id="alert-{kpi_alert.pk}"')[1].split("</tr>")[0]
    assert "/tickets/" not in row and "—" in row
    supervisor_desk.post(f"/alerts/{kpi_alert.pk}/acknowledge/", {"next": "/alerts/"})
    kpi_alert.refresh_from_db()
    assert kpi_alert.acknowledged_by == supervisor
    notifications = supervisor_desk.get("/alerts/notifications/").content.decode()
    assert "First response time is 5 h so far" in notifications


def test_the_kpi_strip_shows_today_and_this_week_against_their_lines(storefront):
    from alerts.selectors import kpi_strip

    answered_after(storefront, DAY_START + H, 1.5)  # today so far: 1.5 h, within <= 2 h
    Ticket.objects.create(  # created this week (Monday), never resolved: resolution rate 0 % against >= 85 %
        storefront=storefront, subject="Lost", created_at=DAY_START - 20 * H, updated_at=DAY_START - 20 * H
    )

    cards = {(card.line.kpi, card.line.period): card for card in kpi_strip(now=DAY_START + 5 * H)}

    assert len(cards) == 8  # the default lines
    first_response = cards[(Kpi.FIRST_RESPONSE_TIME, "day")]
    assert (first_response.value_text, first_response.ok, first_response.line.line) == ("1.5 h", True, "≤ 2 h")
    resolution = cards[(Kpi.RESOLUTION_RATE, "week")]
    assert (resolution.value.value, resolution.ok) == (Decimal("0.00"), False)
    assert cards[(Kpi.RETURN_RATE, "week")].ok is None  # no orders: nothing to measure


def test_the_kpi_strip_costs_the_same_queries_however_many_lines(storefront, team, django_assert_max_num_queries):
    from alerts.selectors import kpi_strip

    for limit in range(1, 6):  # more lines, for all and for one team (the team's are not on the strip)
        KpiThreshold.objects.create(kpi=Kpi.SATISFACTION, comparison=Comparison.AT_LEAST, value=Decimal(limit))
        KpiThreshold.objects.create(
            kpi=Kpi.SATISFACTION, comparison=Comparison.AT_LEAST, value=Decimal(limit), team=team
        )

    with django_assert_max_num_queries(11):
        cards = kpi_strip(now=DAY_START + 5 * H)

    assert len(cards) == 13


def test_the_dashboard_page_shows_the_kpi_strip(supervisor_desk):
    page = supervisor_desk.get("/alerts/").content.decode()

    assert page.count('class="count-card kpi-card"') == 8
    assert 'data-kpi="after_sales_cost" data-period="week"' in page
    assert "1 % - 3 %" in page


# --- the admin -------------------------------------------------------------------------------------------------------


def _line_form(**changes) -> dict:
    form = {
        "kpi": "after_sales_cost",
        "comparison": "between",
        "value": "1",
        "value_max": "3",
        "period": "week",
        "storefront": "",
        "team": "",
        "is_active": "on",
    }
    return form | changes


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"value_max": ""}, "value_max", "Enter the upper value of the range."),
        ({"value_max": "0.5"}, "value_max", "The upper value must be greater than the value."),
        ({"value": "150", "value_max": "160"}, "value", "A percentage is between 0 and 100."),
        ({"comparison": "at_most", "value": "2", "value_max": "3"}, "value_max", "Only a between line has an upper"),
        ({"kpi": "satisfaction", "comparison": "at_least", "value": "101", "value_max": ""}, "value", "between 0 and"),
    ],
)
def test_a_supervisor_is_told_which_field_of_a_warning_line_is_wrong(client, supervisor, changes, field, message):
    client.force_login(supervisor)
    before = KpiThreshold.objects.count()

    response = client.post("/admin/alerts/kpithreshold/add/", _line_form(**changes))

    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    assert KpiThreshold.objects.count() == before


def test_a_supervisor_adds_and_edits_warning_lines_in_the_admin(client, supervisor, storefront):
    client.force_login(supervisor)

    response = client.post(
        "/admin/alerts/kpithreshold/add/",
        _line_form(kpi="processing_time", comparison="at_most", value="36", value_max="", storefront=storefront.pk),
    )

    assert response.status_code == 302
    line = KpiThreshold.objects.get(storefront=storefront)
    assert (line.kpi, line.value, line.period, line.unit) == (Kpi.PROCESSING_TIME, Decimal("36.00"), "week", "hours")
    # Hours are not percentages: 36 h is a valid line.
    change = client.post(
        f"/admin/alerts/kpithreshold/{line.pk}/change/",
        _line_form(kpi="processing_time", comparison="at_most", value="48", value_max="", storefront=storefront.pk),
    )
    assert change.status_code == 302
    line.refresh_from_db()
    assert line.value == Decimal("48.00")
    assert "Processing time" in client.get("/admin/alerts/kpithreshold/").content.decode()

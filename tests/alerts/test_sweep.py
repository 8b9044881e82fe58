"""The SLA sweep: warnings, breaches at the deadline, escalations, exactly once, catching up after an outage."""

import json
import threading
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from alerts import services
from alerts.models import Alert, AlertKind, Notification
from tests.factories import make_ticket
from tickets import services as ticket_services
from tickets.models import EventKind, Metric, SlaClock, Status

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _with_email(*users) -> None:
    for user in users:
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])


def test_nothing_is_raised_before_the_warning_point(storefront, agent):
    make_ticket(storefront, now=T0)

    assert services.sla_sweep(now=T0 + timedelta(minutes=89)) == {"warnings": 0, "breaches": 0, "escalations": 0}
    assert not Alert.objects.exists()


def test_warning_at_75_percent_goes_to_the_assignee(storefront, agent, supervisor, django_capture_on_commit_callbacks):
    _with_email(agent, supervisor)
    ticket = make_ticket(storefront, now=T0)

    with django_capture_on_commit_callbacks(execute=True):
        counts = services.sla_sweep(now=T0 + timedelta(minutes=90))

    assert counts == {"warnings": 1, "breaches": 0, "escalations": 0}
    alert = Alert.objects.get()
    assert (alert.kind, alert.metric, alert.ticket, alert.team) == (AlertKind.AT_RISK, "response", ticket, ticket.team)
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["agent"]
    assert [m.to for m in mail.outbox] == [["agent@example.com"]]
    assert ticket.reference in mail.outbox[0].subject
    assert ticket.events.filter(kind=EventKind.SLA_WARNING).count() == 1


def test_breach_goes_to_the_assignee_and_the_team_supervisors(
    storefront, agent, supervisor, other_agent, django_capture_on_commit_callbacks
):
    ticket = make_ticket(storefront, now=T0)
    services.sla_sweep(now=T0 + timedelta(minutes=90))

    with django_capture_on_commit_callbacks(execute=True):
        counts = services.sla_sweep(now=T0 + timedelta(hours=2, minutes=1))

    assert counts == {"warnings": 0, "breaches": 1, "escalations": 0}
    breach = Alert.objects.get(kind=AlertKind.BREACH)
    assert breach.occurred_at == T0 + timedelta(hours=2)
    assert sorted(breach.notifications.values_list("recipient__username", flat=True)) == ["agent", "supervisor"]
    clock = SlaClock.objects.get(ticket=ticket, metric=Metric.RESPONSE)
    assert clock.breached_at == T0 + timedelta(hours=2)


def test_catch_up_after_an_outage_raises_everything_with_the_right_instants(storefront, agent, supervisor):
    first = make_ticket(storefront, now=T0)
    second = make_ticket(storefront, now=T0 + timedelta(minutes=20))
    answered = make_ticket(storefront, now=T0 + timedelta(minutes=5))
    ticket_services.ticket_reply(ticket=answered, user=agent, body="Done.", now=T0 + timedelta(minutes=30))

    # The beat was down from T0 until T0 + 3 h; the first sweep afterwards:
    counts = services.sla_sweep(now=T0 + timedelta(hours=3))

    assert counts == {"warnings": 2, "breaches": 2, "escalations": 0}
    for ticket, created in ((first, T0), (second, T0 + timedelta(minutes=20))):
        breach = Alert.objects.get(ticket=ticket, kind=AlertKind.BREACH)
        warning = Alert.objects.get(ticket=ticket, kind=AlertKind.AT_RISK)
        assert breach.occurred_at == created + timedelta(hours=2)
        assert warning.occurred_at == created + timedelta(minutes=90)
        assert breach.created_at == T0 + timedelta(hours=3)
    assert not Alert.objects.filter(ticket=answered).exists()


def test_the_same_sweep_twice_raises_nothing_new(storefront, agent):
    make_ticket(storefront, now=T0)
    at = T0 + timedelta(hours=7)
    first = services.sla_sweep(now=at)

    second = services.sla_sweep(now=at)

    assert first == {"warnings": 1, "breaches": 1, "escalations": 2}
    assert second == {"warnings": 0, "breaches": 0, "escalations": 0}
    assert Alert.objects.count() == 4


def test_escalation_levels_two_and_three_after_one_and_two_more_target_lengths(storefront, agent, supervisor):
    ticket = make_ticket(storefront, now=T0)
    services.sla_sweep(now=T0 + timedelta(hours=2))

    assert services.sla_sweep(now=T0 + timedelta(hours=4) - timedelta(seconds=1))["escalations"] == 0
    assert services.sla_sweep(now=T0 + timedelta(hours=4))["escalations"] == 1
    assert services.sla_sweep(now=T0 + timedelta(hours=6))["escalations"] == 1

    escalations = Alert.objects.filter(ticket=ticket, kind=AlertKind.ESCALATION).order_by("level")
    expected = [(2, T0 + timedelta(hours=4)), (3, T0 + timedelta(hours=6))]
    assert [(a.level, a.occurred_at) for a in escalations] == expected
    assert ticket.events.filter(kind=EventKind.ESCALATION).count() == 2
    # Level 2 and 3 reach every supervisor.
    assert set(escalations[0].notifications.values_list("recipient__username", flat=True)) == {"agent", "supervisor"}


def test_level_three_also_e_mails_the_admin_contacts(storefront, agent, settings, django_capture_on_commit_callbacks):
    settings.ADMIN_ALERT_EMAILS = ["ops@example.com"]
    make_ticket(storefront, now=T0)

    with django_capture_on_commit_callbacks(execute=True):
        services.sla_sweep(now=T0 + timedelta(hours=6))

    assert ["ops@example.com"] in [m.to for m in mail.outbox]


def test_answering_resolves_the_open_alerts_at_the_next_sweep(storefront, agent):
    ticket = make_ticket(storefront, now=T0)
    services.sla_sweep(now=T0 + timedelta(hours=2, minutes=30))
    ticket_services.ticket_reply(ticket=ticket, user=agent, body="Sorry.", now=T0 + timedelta(hours=2, minutes=40))

    services.sla_sweep(now=T0 + timedelta(hours=2, minutes=41))

    response_alerts = Alert.objects.filter(ticket=ticket, metric=Metric.RESPONSE)
    assert response_alerts.count() == 2
    assert set(response_alerts.values_list("resolved_at", flat=True)) == {T0 + timedelta(hours=2, minutes=40)}


def test_a_paused_resolution_clock_is_not_breached_while_pending(storefront, agent):
    ticket = make_ticket(storefront, kind="return", now=T0)
    ticket_services.ticket_acknowledge(ticket=ticket, user=agent, now=T0 + timedelta(minutes=1))
    ticket_services.ticket_change_status(ticket=ticket, status=Status.PENDING, user=agent, now=T0 + timedelta(hours=1))

    assert services.sla_sweep(now=T0 + timedelta(days=2))["breaches"] == 0
    ticket_services.ticket_change_status(ticket=ticket, status=Status.OPEN, user=agent, now=T0 + timedelta(days=2))
    # 23 hours of the target were left when it paused.
    assert services.sla_sweep(now=T0 + timedelta(days=2, hours=23) - timedelta(seconds=1))["breaches"] == 0
    assert services.sla_sweep(now=T0 + timedelta(days=2, hours=23))["breaches"] == 1


def test_sweep_sla_command_prints_the_counts_as_its_last_line(storefront, agent):
    make_ticket(storefront, now=T0)
    out = StringIO()

    call_command("sweep_sla", "--at", "2026-03-02T10:30:00Z", stdout=out)

    assert json.loads(out.getvalue().strip().splitlines()[-1]) == {"warnings": 1, "breaches": 1, "escalations": 0}


def test_sweep_sla_command_refuses_a_malformed_instant():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("sweep_sla", "--at", "yesterday", stdout=StringIO())


def test_sweep_task_runs_the_sweep(storefront, agent):
    from alerts.tasks import sweep_sla

    make_ticket(storefront, now=datetime.now(UTC) - timedelta(hours=3))

    assert sweep_sla.delay().get() == {"warnings": 1, "breaches": 1, "escalations": 0}
    assert sweep_sla.delay().get() == {"warnings": 0, "breaches": 0, "escalations": 0}


# serialized_rollback: the database is restored with its seeded rows (the Standard SLA policy) around the test, as
# the other transactional tests of the suite expect.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_at_the_same_moment_raise_each_alert_once(storefront, agent, supervisor):
    for minute in range(30):
        make_ticket(storefront, now=T0 + timedelta(minutes=minute))
    at = T0 + timedelta(hours=5)
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            results.append(services.sla_sweep(now=at, batch_size=7))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Alert.objects.filter(kind=AlertKind.BREACH).count() == 30
    assert Alert.objects.filter(kind=AlertKind.AT_RISK).count() == 30
    assert Alert.objects.filter(kind=AlertKind.ESCALATION).count() == 30
    assert sum(r["breaches"] for r in results) == 30
    assert sum(r["warnings"] for r in results) == 30
    assert Notification.objects.count() == Notification.objects.values("recipient", "alert").distinct().count()


def test_a_severe_complaint_raises_one_alert_for_the_supervisors(storefront, agent, supervisor, other_agent):
    from complaints import services as complaint_services

    complaint = complaint_services.complaint_create(
        storefront=storefront, category="product_quality", body="It caught fire.", severity="severe", now=T0
    )
    complaint_services.complaint_create(storefront=storefront, category="logistics", body="Late.", now=T0)

    services.sla_sweep(now=T0 + timedelta(minutes=1))
    services.sla_sweep(now=T0 + timedelta(minutes=2))

    alert = Alert.objects.get(kind=AlertKind.SEVERE_COMPLAINT)
    assert (alert.complaint, alert.ticket) == (complaint, complaint.ticket)
    assert "supervisor" in set(alert.notifications.values_list("recipient__username", flat=True))
    assert complaint.ticket.events.filter(kind=EventKind.ESCALATION).count() == 1


def test_the_alert_webhook_receives_each_new_alert_once(
    storefront, agent, settings, webhook_receiver, django_capture_on_commit_callbacks
):
    settings.ALERT_WEBHOOK_URL = webhook_receiver.url
    ticket = make_ticket(storefront, now=T0)

    with django_capture_on_commit_callbacks(execute=True):
        services.sla_sweep(now=T0 + timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        services.sla_sweep(now=T0 + timedelta(hours=2))
    webhook_receiver.wait_for(2)

    bodies = sorted((r.json["kind"], r.json["ticket"]) for r in webhook_receiver.requests)
    assert bodies == [("at_risk", ticket.reference), ("breach", ticket.reference)]
    services.alerts_send_notifications(alert_ids=list(Alert.objects.values_list("pk", flat=True)))
    assert len(webhook_receiver.requests) == 2


def test_sending_the_notifications_again_sends_no_e_mail_twice(storefront, agent, django_capture_on_commit_callbacks):
    from alerts.tasks import send_alert_notifications

    _with_email(agent)
    make_ticket(storefront, now=T0)
    with django_capture_on_commit_callbacks(execute=True):
        services.sla_sweep(now=T0 + timedelta(hours=2))
    sent = len(mail.outbox)
    ids = list(Alert.objects.values_list("pk", flat=True))

    send_alert_notifications.delay(ids)

    assert sent == 2 and len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweep_sla_commands_in_separate_processes_raise_each_alert_once(storefront, agent, supervisor, settings):
    import os
    import subprocess
    import sys

    for minute in range(40):
        make_ticket(storefront, now=T0 + timedelta(minutes=minute))
    database = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "DEBUG": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    command = [sys.executable, "manage.py", "sweep_sla", "--at", "2026-03-02T13:00:00+00:00"]

    processes = [
        subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60)[0].decode() for process in processes]

    assert [process.returncode for process in processes] == [0, 0]
    counts = [json.loads(output.strip().splitlines()[-1]) for output in outputs]
    assert sum(c["breaches"] for c in counts) == 40 and sum(c["warnings"] for c in counts) == 40
    assert Alert.objects.filter(kind=AlertKind.BREACH).count() == 40
    assert Alert.objects.filter(kind=AlertKind.ESCALATION).count() == 40


def test_notifications_whose_task_never_ran_are_sent_by_the_catch_up(storefront, agent, settings, webhook_receiver):
    from alerts.tasks import send_pending_alert_notifications

    settings.ALERT_WEBHOOK_URL = webhook_receiver.url
    _with_email(agent)
    make_ticket(storefront, now=T0)
    # The sweep's transaction commits but its after-commit task is lost (broker down): nothing is sent.
    services.sla_sweep(now=T0 + timedelta(hours=2))
    assert mail.outbox == []

    assert services.alerts_send_pending(now=T0 + timedelta(hours=2, minutes=1)) == 0  # still within the grace
    sent = services.alerts_send_pending(now=T0 + timedelta(hours=2, minutes=5))
    send_pending_alert_notifications.delay().get()

    assert sent == 2 and len(mail.outbox) == 2
    webhook_receiver.wait_for(2)
    assert len(webhook_receiver.requests) == 2


def test_a_failed_alert_webhook_is_retried_by_the_catch_up(storefront, agent, settings, webhook_receiver):
    settings.ALERT_WEBHOOK_URL = webhook_receiver.url
    make_ticket(storefront, now=T0)
    services.sla_sweep(now=T0 + timedelta(hours=2))
    webhook_receiver.respond_with(503)
    services.alerts_send_pending(now=T0 + timedelta(hours=2, minutes=5))
    assert Alert.objects.filter(webhook_sent_at__isnull=False).count() == 0

    webhook_receiver.respond_with(200)
    services.alerts_send_pending(now=T0 + timedelta(hours=2, minutes=10))

    assert Alert.objects.filter(webhook_sent_at__isnull=False).count() == 2

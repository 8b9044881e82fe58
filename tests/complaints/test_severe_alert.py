"""A severe complaint posted by a storefront produces exactly one supervisor alert at the next sweep (issue 5).

End to end from the storefront API through the `sweep_sla` command to what a supervisor sees in the desk; the
sweep itself (batches, notifications, e-mail) is tested in tests/alerts/test_sweep.py.
"""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from alerts import services as alert_services
from alerts.models import Alert, AlertKind
from complaints.models import Complaint, ComplaintStatus
from tests.complaints.conftest import run_step

pytestmark = pytest.mark.django_db

SEVERE = {
    "category": "product_quality",
    "body": "The charger caught fire in my kitchen.",
    "severity": "severe",
    "customer": {"external_id": "C-1", "name": "Chen Jie"},
}


def _sweep(at) -> None:
    call_command("sweep_sla", "--at", at.isoformat(), stdout=StringIO())


def test_a_severe_complaint_from_a_storefront_alerts_the_supervisors_once(
    storefront_client, supervisor, agent, supervisor_desk
):
    # given a storefront posts a severe complaint, and a minor one
    created = storefront_client.post("/api/v1/complaints/", SEVERE, format="json")
    assert created.status_code == 201
    storefront_client.post("/api/v1/complaints/", {**SEVERE, "severity": "minor"}, format="json")
    complaint = Complaint.objects.get(public_id=created.json()["id"])

    # when the sweep runs within the next minute, and again
    _sweep(timezone.now() + timedelta(minutes=1))
    _sweep(timezone.now() + timedelta(minutes=2))

    # then there is exactly one severe-complaint alert, for that complaint, and the supervisors are told
    alert = Alert.objects.get(kind=AlertKind.SEVERE_COMPLAINT)
    assert alert.complaint == complaint and alert.ticket == complaint.ticket
    assert "supervisor" in set(alert.notifications.values_list("recipient__username", flat=True))
    page = supervisor_desk.get("/alerts/").content.decode()
    assert complaint.ticket.reference in page


def test_no_alert_for_complaints_that_are_not_severe(storefront_client, supervisor):
    for severity in ("minor", "moderate"):
        response = storefront_client.post("/api/v1/complaints/", {**SEVERE, "severity": severity}, format="json")
        assert response.status_code == 201
    _sweep(timezone.now() + timedelta(minutes=1))
    assert not Alert.objects.filter(kind=AlertKind.SEVERE_COMPLAINT).exists()


def test_archiving_the_complaint_settles_its_alert(make_complaint, agent, supervisor):
    complaint = make_complaint(ComplaintStatus.FOLLOW_UP, severity="severe")
    _sweep(timezone.now() + timedelta(minutes=1))
    alert = Alert.objects.get(kind=AlertKind.SEVERE_COMPLAINT, complaint=complaint)
    assert alert.resolved_at is None

    run_step(complaint, "archive", agent)
    _sweep(timezone.now() + timedelta(minutes=2))

    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert Alert.objects.filter(kind=AlertKind.SEVERE_COMPLAINT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_raise_one_alert(storefront, supervisor):
    from complaints import services

    complaint = services.complaint_create(storefront=storefront, category="account", body="Hacked.", severity="severe")
    at = timezone.now() + timedelta(minutes=1)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            alert_services.sla_sweep(now=at)
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Alert.objects.filter(kind=AlertKind.SEVERE_COMPLAINT, complaint=complaint).count() == 1

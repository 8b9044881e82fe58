"""seed_demo_complaints: demo complaints in every state for the Demo Shop, once."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from complaints.models import Complaint, ComplaintStatus
from tests.factories import StorefrontFactory, make_staff

pytestmark = pytest.mark.django_db


def test_demo_complaints_cover_the_workflow_and_are_added_once(team, other_team):
    StorefrontFactory(name="Demo Shop")
    make_staff("agent", "agent", teams=(team, other_team))
    make_staff("supervisor", "supervisor", teams=(team,))
    out = StringIO()
    call_command("seed_demo_complaints", stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == "Demo complaints: 11"
    states = set(Complaint.objects.values_list("status", flat=True))
    assert states == set(ComplaintStatus.values) - {ComplaintStatus.ACCEPTED}
    assert Complaint.objects.filter(status=ComplaintStatus.ARCHIVED).exclude(root_cause_code="").count() == 5
    assert Complaint.objects.filter(severity="severe").count() == 1
    # a second run adds nothing
    again = StringIO()
    call_command("seed_demo_complaints", "--if-empty", stdout=again)
    assert Complaint.objects.count() == 11
    with pytest.raises(CommandError):
        call_command("seed_demo_complaints", stdout=StringIO())


def test_demo_complaints_need_the_demo_shop(db):
    with pytest.raises(CommandError, match="seed_demo first"):
        call_command("seed_demo_complaints", stdout=StringIO())

"""The desk: the complaint panel on its ticket page, the step forms, the complaints list and the report."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from complaints.models import Complaint, ComplaintStatus
from tests.factories import CustomerFactory, make_ticket
from tickets.models import Kind

pytestmark = pytest.mark.django_db


def _ticket_page(client, complaint) -> str:
    response = client.get(f"/desk/tickets/{complaint.ticket.reference}/")
    assert response.status_code == 200
    return response.content.decode()


def _step(client, complaint, step: str, data: dict[str, str]):
    prefixed = {f"{step}-{key}": value for key, value in data.items()}
    return client.post(f"/desk/complaints/{complaint.reference}/{step}/", prefixed)


def _messages(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


def test_panel_shows_the_current_step_and_the_next_form(agent_desk, make_complaint):
    complaint = make_complaint(ComplaintStatus.INVESTIGATING)
    html = _ticket_page(agent_desk, complaint)
    assert complaint.reference in html
    assert 'aria-current="step">Investigating<' in html
    assert 'data-step="propose"' in html and 'name="propose-findings"' in html
    assert 'data-step="archive"' not in html
    # only supervisors may hand it to another department
    assert "Change department" not in html


def test_supervisor_sees_the_department_form(supervisor_desk, make_complaint):
    html = _ticket_page(supervisor_desk, make_complaint())
    assert "Change department" in html


def test_no_complaint_panel_on_other_tickets(agent_desk, storefront, agent):
    ticket = make_ticket(storefront)
    assert ticket.kind == Kind.INQUIRY
    html = agent_desk.get(f"/desk/tickets/{ticket.reference}/").content.decode()
    assert "complaint-progress" not in html


def test_agent_walks_the_workflow_in_the_desk(agent_desk, make_complaint):
    complaint = make_complaint()
    steps = [
        ("investigate", {}, ComplaintStatus.INVESTIGATING),
        (
            "propose",
            {"findings": "Rude reply logged.", "proposed_solution": "Apology and coupon.", "compensation_amount": "30"},
            ComplaintStatus.SOLUTION_PROPOSED,
        ),
        ("response", {"response": "declined", "note": "Too little."}, ComplaintStatus.DECLINED),
        ("investigate", {}, ComplaintStatus.INVESTIGATING),
        (
            "propose",
            {"findings": "Rude reply logged.", "proposed_solution": "Apology and refund of fees.", "currency": "CNY"},
            ComplaintStatus.SOLUTION_PROPOSED,
        ),
        ("response", {"response": "accepted"}, ComplaintStatus.ACCEPTED),
        ("execute", {"execution_note": "Fees refunded."}, ComplaintStatus.EXECUTING),
        (
            "follow-up",
            {"follow_up_note": "Customer satisfied.", "follow_up_satisfaction": "4"},
            ComplaintStatus.FOLLOW_UP,
        ),
        (
            "archive",
            {"root_cause_code": "staff_error", "root_cause": "New hire untrained.", "lessons": "Train earlier."},
            ComplaintStatus.ARCHIVED,
        ),
    ]
    for step, data, expected in steps:
        response = _step(agent_desk, complaint, step, data)
        assert response.status_code == 302
        assert response["Location"] == f"/desk/tickets/{complaint.ticket.reference}/"
        assert Complaint.objects.get(pk=complaint.pk).status == expected, (step, _messages(response))
    html = _ticket_page(agent_desk, complaint)
    assert "Archived: nothing left to do." in html and "New hire untrained." in html


def test_refused_step_is_a_message_not_an_error(agent_desk, make_complaint):
    complaint = make_complaint()
    response = _step(agent_desk, complaint, "execute", {"execution_note": "Too early."})
    assert response.status_code == 302
    assert any("cannot move from Received to Executing" in message for message in _messages(response))
    assert Complaint.objects.get(pk=complaint.pk).status == ComplaintStatus.RECEIVED


def test_archiving_without_root_cause_names_it(agent_desk, make_complaint):
    complaint = make_complaint(ComplaintStatus.FOLLOW_UP)
    response = _step(agent_desk, complaint, "archive", {"lessons": "Something."})
    assert "A root cause is required to archive a complaint." in _messages(response)
    assert Complaint.objects.get(pk=complaint.pk).status == ComplaintStatus.FOLLOW_UP


def test_invalid_form_input_is_reported(agent_desk, make_complaint):
    complaint = make_complaint(ComplaintStatus.INVESTIGATING)
    response = _step(agent_desk, complaint, "propose", {"findings": "x", "proposed_solution": "y", "currency": "$$"})
    assert response.status_code == 302
    assert any(message.startswith("Currency:") for message in _messages(response))
    assert Complaint.objects.get(pk=complaint.pk).status == ComplaintStatus.INVESTIGATING


def test_unknown_step_and_others_complaints_are_404(client, other_agent, supervisor, make_complaint):
    complaint = make_complaint()
    client.force_login(other_agent)
    assert client.post(f"/desk/complaints/{complaint.reference}/investigate/").status_code == 404
    assert client.get(f"/desk/complaints/{complaint.reference}/").status_code == 404
    client.force_login(supervisor)
    assert client.post(f"/desk/complaints/{complaint.reference}/teleport/").status_code == 404
    assert client.post("/desk/complaints/C-999999/investigate/").status_code == 404
    # the complaint's own address leads to its ticket page
    assert client.get(f"/desk/complaints/{complaint.reference}/")["Location"] == (
        f"/desk/tickets/{complaint.ticket.reference}/"
    )


def test_supervisor_changes_department_in_the_desk(supervisor_desk, make_complaint, other_team):
    complaint = make_complaint(ComplaintStatus.INVESTIGATING)
    response = supervisor_desk.post(
        f"/desk/complaints/{complaint.reference}/department/", {"department-department": "logistics"}
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.department == "logistics" and complaint.ticket.team == other_team


def test_agent_cannot_change_department_in_the_desk(agent_desk, make_complaint):
    complaint = make_complaint(ComplaintStatus.INVESTIGATING)
    response = agent_desk.post(
        f"/desk/complaints/{complaint.reference}/department/", {"department-department": "logistics"}
    )
    assert "Only a supervisor may change a complaint's department." in _messages(response)
    assert Complaint.objects.get(pk=complaint.pk).department == "customer_service"


def test_customer_text_is_escaped_on_the_panel(agent_desk, make_complaint, agent):
    complaint = make_complaint(ComplaintStatus.DECLINED)
    Complaint.objects.filter(pk=complaint.pk).update(customer_response_note="<script>alert(1)</script>")
    html = _ticket_page(agent_desk, complaint)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- The list -----------------------------------------------------------------------------------------------------


def _listed(client, query: str = "") -> list[str]:
    response = client.get(f"/desk/complaints/{query}")
    assert response.status_code == 200
    return [complaint.reference for complaint in response.context["page"].object_list]


def test_list_filters_by_state_category_department_severity_and_age(supervisor_desk, make_complaint):
    old = make_complaint(category="logistics", severity="severe", now=timezone.now() - timedelta(days=10))
    fresh = make_complaint(ComplaintStatus.INVESTIGATING, category="service")
    archived = make_complaint(ComplaintStatus.ARCHIVED, category="payment")
    # by default: what still needs work
    assert _listed(supervisor_desk) == [fresh.reference, old.reference]
    assert _listed(supervisor_desk, "?status=") == [archived.reference, fresh.reference, old.reference]
    assert _listed(supervisor_desk, "?status=archived") == [archived.reference]
    assert _listed(supervisor_desk, "?status=&category=logistics") == [old.reference]
    assert _listed(supervisor_desk, "?status=&department=finance") == [archived.reference]
    assert _listed(supervisor_desk, "?severity=severe") == [old.reference]
    assert _listed(supervisor_desk, "?age=over_7d") == [old.reference]
    assert _listed(supervisor_desk, "?age=under_1d") == [fresh.reference]
    # nonsense filters are ignored, never an error
    assert _listed(supervisor_desk, "?status=lost&age=ancient") == [fresh.reference, old.reference]


def test_list_shows_only_what_the_agent_may_see(client, other_agent, make_complaint):
    make_complaint()
    client.force_login(other_agent)
    assert _listed(client) == []


def test_list_costs_a_fixed_number_of_queries(supervisor_desk, make_complaint, django_assert_max_num_queries):
    make_complaint()
    with django_assert_max_num_queries(7) as few:
        supervisor_desk.get("/desk/complaints/")
    for _ in range(6):
        make_complaint(ComplaintStatus.INVESTIGATING)
    with django_assert_max_num_queries(7) as many:
        response = supervisor_desk.get("/desk/complaints/")
    assert len(response.context["page"].object_list) == 7
    assert len(many.captured_queries) == len(few.captured_queries)


def test_list_is_in_the_navigation(agent_desk):
    html = agent_desk.get("/desk/").content.decode()
    assert 'href="/desk/complaints/"' in html
    assert 'href="/reports/complaints/"' not in html


# --- The report ---------------------------------------------------------------------------------------------------


def test_report_is_for_supervisors(agent_desk):
    assert agent_desk.get("/reports/complaints/").status_code == 403


def test_report_counts_by_category_department_root_cause_and_repeat_customers(
    supervisor_desk, make_complaint, storefront
):
    now = timezone.now()
    repeat = CustomerFactory(storefront=storefront, name="Wang Fang")
    make_complaint(ComplaintStatus.ARCHIVED, category="logistics", customer=repeat, now=now)
    make_complaint(category="logistics", customer=repeat, now=now)
    make_complaint(category="payment", now=now)
    # outside the period
    make_complaint(category="payment", now=now - timedelta(days=200))
    response = supervisor_desk.get("/reports/complaints/")
    assert response.status_code == 200
    tables = {table["key"]: table["pivot"] for table in response.context["tables"]}
    by_category = dict(
        zip([value for value, _ in tables["category"]["columns"]], tables["category"]["totals"], strict=True)
    )
    assert by_category["logistics"] == 2 and by_category["payment"] == 1 and by_category["service"] == 0
    by_department = dict(
        zip([value for value, _ in tables["department"]["columns"]], tables["department"]["totals"], strict=True)
    )
    assert by_department["logistics"] == 2 and by_department["finance"] == 1
    by_root = dict(
        zip([value for value, _ in tables["root_cause"]["columns"]], tables["root_cause"]["totals"], strict=True)
    )
    assert by_root["supplier"] == 1 and sum(by_root.values()) == 1
    assert tables["category"]["total"] == 3
    this_week = [row for row in tables["category"]["rows"] if row["total"]]
    assert len(this_week) == 1 and this_week[0]["week"] == timezone.localdate() - timedelta(
        days=timezone.localdate().weekday()
    )
    assert [(row["name"], row["count"]) for row in response.context["repeat_customers"]] == [("Wang Fang", 2)]
    html = response.content.decode()
    assert "<svg" in html and "Wang Fang" in html


def test_report_tables_download_as_csv(supervisor_desk, make_complaint, storefront):
    repeat = CustomerFactory(storefront=storefront, name="=HYPERLINK(evil)")
    make_complaint(category="account", customer=repeat)
    make_complaint(category="account", customer=repeat)
    response = supervisor_desk.get("/reports/complaints/?download=category")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[0]
    assert header[0] == "Week" and header[-1] == "Total" and "Account" in header
    account = header.index("Account")
    assert sum(int(row[account]) for row in rows[1:]) == 2
    customers = supervisor_desk.get("/reports/complaints/?download=customers")
    rows = list(csv.reader(io.StringIO(customers.content.decode("utf-8-sig"))))
    # a customer's name is never run as a spreadsheet formula
    assert rows[1][0] == "'=HYPERLINK(evil)" and rows[1][-1] == "2"
    for table in ("department", "root_cause"):
        assert supervisor_desk.get(f"/reports/complaints/?download={table}").status_code == 200


def test_report_period_and_storefront_filter(supervisor_desk, make_complaint, other_storefront):
    make_complaint(category="service")
    make_complaint(category="service", shop=other_storefront)
    response = supervisor_desk.get(f"/reports/complaints/?storefront={other_storefront.pk}")
    assert response.context["total"] == 1
    long_ago = (timezone.localdate() - timedelta(days=400)).isoformat()
    response = supervisor_desk.get(f"/reports/complaints/?since={long_ago}&until={long_ago}")
    assert response.context["total"] == 0
    # nonsense dates fall back to the default period rather than failing
    assert supervisor_desk.get("/reports/complaints/?since=yesterday&until=2026-13-45").status_code == 200


def test_report_costs_a_fixed_number_of_queries(supervisor_desk, make_complaint, django_assert_max_num_queries):
    make_complaint(ComplaintStatus.ARCHIVED)
    with django_assert_max_num_queries(10) as few:
        supervisor_desk.get("/reports/complaints/")
    for category in ("logistics", "payment", "account", "other"):
        make_complaint(ComplaintStatus.ARCHIVED, category=category)
        make_complaint(category=category)
    with django_assert_max_num_queries(10) as many:
        supervisor_desk.get("/reports/complaints/")
    assert len(many.captured_queries) == len(few.captured_queries)


# --- Routing (the category -> department mapping) -----------------------------------------------------------------


def test_supervisor_edits_the_routing_of_new_complaints(supervisor_desk, make_complaint, other_team):
    page = supervisor_desk.get("/desk/complaints/routing/")
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: field.initial for name, field in form.fields.items()}
    data = {name: (value if value is not None else "") for name, value in data.items()}
    assert data["category_payment"] == "finance"
    # when payment complaints go to customer service, and customer service's complaints to the logistics team
    data["category_payment"] = "customer_service"
    data["team_customer_service"] = str(other_team.pk)
    response = supervisor_desk.post("/desk/complaints/routing/", data)
    assert response.status_code == 302
    # then the next payment complaint is customer service's, worked by that team
    complaint = make_complaint(category="payment")
    assert complaint.department == "customer_service"
    assert complaint.ticket.team == other_team


def test_routing_is_for_supervisors(agent_desk):
    assert agent_desk.get("/desk/complaints/routing/").status_code == 403
    assert agent_desk.post("/desk/complaints/routing/", {"category_payment": "security"}).status_code == 403


def test_routing_refuses_unknown_departments(supervisor_desk):
    from complaints.models import CategoryDepartment

    response = supervisor_desk.post("/desk/complaints/routing/", {"category_payment": "marketing"})
    assert response.status_code == 200
    assert any(message.startswith("Payment:") for message in _messages(response))
    assert CategoryDepartment.objects.get(category="payment").department == "finance"


def test_admin_shows_complaints_read_only(client, make_complaint):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pass-1234")
    client.force_login(admin)
    complaint = make_complaint()
    assert client.get("/admin/complaints/complaint/").status_code == 200
    page = client.get(f"/admin/complaints/complaint/{complaint.pk}/change/")
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    assert client.get("/admin/complaints/categorydepartment/").status_code == 200


def test_the_panel_costs_one_query_on_the_ticket_page(
    supervisor_desk, make_complaint, storefront, django_assert_max_num_queries
):
    complaint = make_complaint(ComplaintStatus.INVESTIGATING)
    # The same order beside both pages: the difference is the complaint panel alone.
    inquiry = make_ticket(storefront, order_external_id=complaint.ticket.order_external_id)
    with django_assert_max_num_queries(50) as plain:
        supervisor_desk.get(f"/desk/tickets/{inquiry.reference}/")
    with django_assert_max_num_queries(50) as with_panel:
        html = supervisor_desk.get(f"/desk/tickets/{complaint.ticket.reference}/").content.decode()
    assert "complaint-progress" in html
    assert len(with_panel.captured_queries) <= len(plain.captured_queries) + 1

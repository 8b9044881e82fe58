"""Desk pages for complaints: the panel on the complaint's ticket page, the workflow step actions, the complaints
list and the routing page (supervisors). Parse, call one service or selector, render.

A refused step (ApplicationError) becomes an error message on the ticket page through tickets' `desk_action`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from complaints import selectors, services
from complaints.forms import (
    ArchiveForm,
    ComplaintFilterForm,
    DepartmentForm,
    ExecuteForm,
    FollowUpForm,
    InvestigateForm,
    MappingForm,
    ProposeForm,
    ResponseForm,
)
from complaints.models import (
    ALLOWED_MOVES,
    DEFAULT_DEPARTMENTS,
    CategoryDepartment,
    Complaint,
    ComplaintCategory,
    ComplaintStatus,
    DepartmentTeam,
)
from tickets import roles
from tickets.models import Kind, Ticket
from tickets.views import desk_action, desk_view

LIST_PAGE_SIZE = 25

# --- Workflow steps -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One action of the desk: its URL slug, the state it leads to, its form, the service call and the words."""

    slug: str
    to: tuple[str, ...]
    form: type[forms.Form]
    run: Callable[[Complaint, Any, dict[str, Any]], Complaint]
    title: Any
    button: Any
    done: Any


STEPS: tuple[Step, ...] = (
    Step(
        slug="investigate",
        to=(ComplaintStatus.INVESTIGATING,),
        form=InvestigateForm,
        run=lambda complaint, user, data: services.complaint_start_investigation(complaint=complaint, user=user),
        title=gettext_lazy("Investigate"),
        button=gettext_lazy("Start investigation"),
        done=gettext_lazy("Investigation started; the customer was told."),
    ),
    Step(
        slug="propose",
        to=(ComplaintStatus.SOLUTION_PROPOSED,),
        form=ProposeForm,
        run=lambda complaint, user, data: services.complaint_propose_solution(
            complaint=complaint,
            user=user,
            findings=data["findings"],
            proposed_solution=data["proposed_solution"],
            compensation_amount=data.get("compensation_amount"),
            currency=data.get("currency") or "",
            notify_customer=data.get("notify_customer", False),
        ),
        title=gettext_lazy("Propose a solution"),
        button=gettext_lazy("Propose solution"),
        done=gettext_lazy("Solution proposed."),
    ),
    Step(
        slug="response",
        to=(ComplaintStatus.ACCEPTED, ComplaintStatus.DECLINED),
        form=ResponseForm,
        run=lambda complaint, user, data: services.complaint_record_response(
            complaint=complaint, user=user, response=data["response"], note=data.get("note") or ""
        ),
        title=gettext_lazy("Customer's answer"),
        button=gettext_lazy("Record answer"),
        done=gettext_lazy("The customer's answer is recorded."),
    ),
    Step(
        slug="execute",
        to=(ComplaintStatus.EXECUTING,),
        form=ExecuteForm,
        run=lambda complaint, user, data: services.complaint_start_execution(
            complaint=complaint, user=user, execution_note=data["execution_note"]
        ),
        title=gettext_lazy("Carry out the solution"),
        button=gettext_lazy("Start execution"),
        done=gettext_lazy("Execution started."),
    ),
    Step(
        slug="follow-up",
        to=(ComplaintStatus.FOLLOW_UP,),
        form=FollowUpForm,
        run=lambda complaint, user, data: services.complaint_follow_up(
            complaint=complaint,
            user=user,
            follow_up_note=data["follow_up_note"],
            satisfaction=data.get("follow_up_satisfaction"),
        ),
        title=gettext_lazy("Follow up"),
        button=gettext_lazy("Record follow-up"),
        done=gettext_lazy("Follow-up recorded; the ticket is resolved."),
    ),
    Step(
        slug="archive",
        to=(ComplaintStatus.ARCHIVED,),
        form=ArchiveForm,
        run=lambda complaint, user, data: services.complaint_archive(
            complaint=complaint,
            user=user,
            root_cause_code=data.get("root_cause_code") or "",
            root_cause=data.get("root_cause") or "",
            lessons=data.get("lessons") or "",
        ),
        title=gettext_lazy("Archive"),
        button=gettext_lazy("Archive complaint"),
        done=gettext_lazy("Complaint archived."),
    ),
)
STEPS_BY_SLUG = {step.slug: step for step in STEPS}

# The way a complaint normally goes, for the progress line; "declined" is shown only when it happened.
MAIN_PATH = (
    ComplaintStatus.RECEIVED,
    ComplaintStatus.INVESTIGATING,
    ComplaintStatus.SOLUTION_PROPOSED,
    ComplaintStatus.ACCEPTED,
    ComplaintStatus.EXECUTING,
    ComplaintStatus.FOLLOW_UP,
    ComplaintStatus.ARCHIVED,
)


def next_steps(complaint: Complaint) -> list[Step]:
    """The actions that lead from the complaint's state to the states ALLOWED_MOVES permits."""
    allowed = ALLOWED_MOVES[complaint.status]
    return [step for step in STEPS if allowed.intersection(step.to)]


def _progress(complaint: Complaint) -> list[dict[str, Any]]:
    path = list(MAIN_PATH)
    if complaint.status == ComplaintStatus.DECLINED:
        path[path.index(ComplaintStatus.ACCEPTED)] = ComplaintStatus.DECLINED
    current = path.index(complaint.status)
    return [
        {"status": status, "label": ComplaintStatus(status).label, "done": index < current, "current": index == current}
        for index, status in enumerate(path)
    ]


def build_complaint_panel(request: HttpRequest, ticket: Ticket) -> dict[str, Any] | None:
    """The complaint panel of a complaint's ticket page: where it stands and the form for the next step."""
    if ticket.kind != Kind.COMPLAINT:
        return None
    complaint = selectors.complaint_for_ticket(ticket=ticket)
    if complaint is None:
        return None
    user = request.user
    can_work = roles.is_agent(user)
    return {
        "template": "complaints/_panel.html",
        "complaint": complaint,
        "progress": _progress(complaint),
        "steps": [
            {"step": step, "form": step.form(prefix=step.slug), "url": _step_url(complaint, step.slug)}
            for step in next_steps(complaint)
        ]
        if can_work
        else [],
        "department_form": DepartmentForm(initial={"department": complaint.department}, prefix="department")
        if roles.is_supervisor(user) and not complaint.is_archived
        else None,
    }


def _step_url(complaint: Complaint, slug: str) -> str:
    return reverse("complaints:step", args=[complaint.reference, slug])


def _back_to_ticket(request: HttpRequest, reference: str, *args: Any, **kwargs: Any) -> str:
    ticket_reference = Complaint.objects.filter(reference=reference).values_list("ticket__reference", flat=True).first()
    if ticket_reference is None:
        return reverse("complaints:list")
    return reverse("tickets:ticket", args=[ticket_reference])


def _form_errors(request: HttpRequest, form: forms.Form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


@require_GET
@desk_view
def complaint_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """A complaint lives on its ticket's page."""
    complaint = selectors.complaint_get_for_user(user=request.user, id=reference)
    return redirect("tickets:ticket", reference=complaint.ticket.reference)


@require_POST
@desk_view
@desk_action(_back_to_ticket)
def complaint_step(request: HttpRequest, reference: str, step: str) -> HttpResponse:
    complaint = selectors.complaint_get_for_user(user=request.user, id=reference)
    action = STEPS_BY_SLUG.get(step)
    if action is None:
        raise Http404("No such step.")
    form = action.form(request.POST, prefix=action.slug)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        action.run(complaint, request.user, form.cleaned_data)
        messages.success(request, str(action.done))
    return redirect("tickets:ticket", reference=complaint.ticket.reference)


@require_POST
@desk_view
@desk_action(_back_to_ticket)
def complaint_department(request: HttpRequest, reference: str) -> HttpResponse:
    complaint = selectors.complaint_get_for_user(user=request.user, id=reference)
    form = DepartmentForm(request.POST, prefix="department")
    if not form.is_valid():
        _form_errors(request, form)
    else:
        services.complaint_change_department(
            complaint=complaint, user=request.user, department=form.cleaned_data["department"]
        )
        messages.success(request, _("Department changed."))
    return redirect("tickets:ticket", reference=complaint.ticket.reference)


# --- The list -----------------------------------------------------------------------------------------------------


@require_GET
@desk_view
def complaint_list(request: HttpRequest) -> HttpResponse:
    form = ComplaintFilterForm(request.GET)
    form.is_valid()
    complaints = selectors.complaint_list(user=request.user, filters=form.filters())
    page = Paginator(complaints, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "complaints/list.html",
        {"form": form, "page": page, "filtered": any(key in request.GET for key in form.fields)},
    )


# --- The category -> department mapping ---------------------------------------------------------------------------


def _mapping_form(data: Any = None) -> MappingForm:
    mapped = dict(CategoryDepartment.objects.values_list("category", "department"))
    departments = {
        category: mapped.get(category) or DEFAULT_DEPARTMENTS[category] for category in ComplaintCategory.values
    }
    teams = dict(DepartmentTeam.objects.values_list("department", "team_id"))
    return MappingForm(data, departments=departments, teams=teams)


@require_http_methods(["GET", "POST"])
@desk_view
@desk_action(lambda request, *args, **kwargs: reverse("complaints:mapping"))
def complaint_mapping(request: HttpRequest) -> HttpResponse:
    """Supervisors: which department handles each category, and which team works each department."""
    if not roles.is_supervisor(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = _mapping_form(request.POST)
        if form.is_valid():
            services.complaint_mapping_update(user=request.user, departments=form.departments(), teams=form.teams())
            messages.success(request, _("Complaint routing saved. It applies to complaints filed from now on."))
            return redirect("complaints:mapping")
        _form_errors(request, form)
    else:
        form = _mapping_form()
    return render(request, "complaints/mapping.html", {"form": form})

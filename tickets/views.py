"""The agent desk: parse the request, call one selector or service, render.

Business rules live in tickets.services; a refusal there (ApplicationError) becomes an error message on the page
through `desk_action`, never a 500. Tickets the user may not see are 404 (selectors.ticket_get_for_user).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from aftersales.errors import ApplicationError
from tickets import roles, selectors, services
from tickets.forms import (
    SCOPE_CHOICES,
    AssignForm,
    CannedPickForm,
    CategoryForm,
    CustomerMessageForm,
    LanguageForm,
    PreferencesForm,
    QueueFilterForm,
    ReplyForm,
    SeenForm,
    SeverityForm,
    StatusForm,
)
from tickets.models import (
    ALLOWED_MOVES,
    SURVEY_DIMENSIONS,
    Attachment,
    StaffProfile,
    Status,
    Team,
    Ticket,
)
from tickets.panels import landing_url, panels_for, ticket_context
from tickets.services import privacy
from tickets.services.bulk import BULK_JOB_MAX, BULK_SYNC_MAX
from tickets.services.macros import macro_reply_text
from tickets.services.surveys import survey_is_expired, survey_latest
from tickets.services.views import COLUMNS, SORTS
from tickets.survey_forms import QUESTIONS

QUEUE_PAGE_SIZE = 25
# The queue shows "1000+" beyond this: counting every matching row of a million-ticket table on each refresh
# would cost more than the page itself.
QUEUE_COUNT_CAP = 1000
QUEUE_MAX_PAGE = 10_000

View = Callable[..., HttpResponseBase]


def desk_view(view: View) -> View:
    """Signed-in staff only: anonymous users go to the login page, other users get 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not roles.is_staff_member(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def desk_action(back_to: Callable[..., str]) -> Callable[[View], View]:
    """The desk's one error path: a refused action (ApplicationError) becomes an error message and a redirect.

    `back_to(request, **view_kwargs)` gives the page to return to, with or without success. Other apps' desk views
    may use it too, e.g. `@desk_action(lambda request, pk: reverse("returns:detail", args=[pk]))`.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                return view(request, *args, **kwargs)
            except ApplicationError as exc:
                messages.error(request, str(exc.message))
                return HttpResponseRedirect(back_to(request, *args, **kwargs))

        return wrapper

    return decorator


def _ticket_url(request: HttpRequest, reference: str, **_kwargs: Any) -> str:
    return reverse("tickets:ticket", args=[reference])


def _form_errors(request: HttpRequest, form: Any) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


# The queue ---------------------------------------------------------------------------------------------------------


def _queue_page(tickets: QuerySet[Ticket], page_param: str | None) -> dict[str, Any]:
    """Offset paging with a capped count: two queries whatever the table size."""
    try:
        # Bounded: an absurd page number must not become an OFFSET the database refuses.
        number = min(max(1, int(page_param or 1)), QUEUE_MAX_PAGE)
    except ValueError:
        number = 1
    capped = tickets.order_by()[: QUEUE_COUNT_CAP + 1].count()
    last = max(1, -(-min(capped, QUEUE_COUNT_CAP) // QUEUE_PAGE_SIZE))
    if capped <= QUEUE_COUNT_CAP:
        number = min(number, last)
    start = (number - 1) * QUEUE_PAGE_SIZE
    rows = list(tickets[start : start + QUEUE_PAGE_SIZE + 1])
    has_next = len(rows) > QUEUE_PAGE_SIZE
    return {
        "tickets": rows[:QUEUE_PAGE_SIZE],
        "number": number,
        "has_previous": number > 1,
        "has_next": has_next,
        "previous_number": number - 1,
        "next_number": number + 1,
        "count": min(capped, QUEUE_COUNT_CAP),
        "count_capped": capped > QUEUE_COUNT_CAP,
        "last_number": None if capped > QUEUE_COUNT_CAP else last,
    }


def _capped_count(user: Any, view: Any) -> tuple[int, bool]:
    """A view tab's count, capped as the queue's (one query, however many tickets match), and whether it was."""
    count = selectors.saved_view_queue(user=user, view=view).order_by()[: QUEUE_COUNT_CAP + 1].count()
    return min(count, QUEUE_COUNT_CAP), count > QUEUE_COUNT_CAP


@require_safe
@desk_view
def queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not roles.is_agent(user):
        # Staff without a ticket queue (finance) land on the page their role works from.
        landing = landing_url(user)
        if landing is not None:
            return redirect(landing)
    scopes = list(SCOPE_CHOICES)
    scope = request.GET.get("scope") or "mine"
    if scope not in dict(scopes):
        scope = "mine"
    form = QueueFilterForm(request.GET or None)
    if form.is_bound:
        form.is_valid()  # invalid fields are simply left out of the filters
    saved = list(selectors.saved_views_for(user=user))
    view_id = request.GET.get("view") or ""
    view = next((v for v in saved if view_id.isdigit() and v.pk == int(view_id)), None)
    sort = request.GET.get("sort") or ""
    if sort not in SORTS:
        sort = view.sort if view is not None else ""
    if view is not None:
        tickets = selectors.saved_view_queue(
            user=user, view=view, filters=form.filters(), search=form.search(), ordering=SORTS.get(sort, ())
        )
    else:
        tickets = selectors.ticket_queue(
            user=user, scope=scope, filters=form.filters(), search=form.search(), ordering=SORTS.get(sort, ())
        )
    page = _queue_page(tickets, request.GET.get("page"))
    context = {
        "form": form,
        "scopes": scopes,
        "scope": "" if view is not None else scope,
        "page": page,
        "filtered": bool(form.filters() or form.search()),
        "bulk_status_choices": Status.choices,
        "bulk_macros": selectors.macros_for(user=user),
        "view": view,
        "view_tabs": [(saved_view, *_capped_count(user, saved_view)) for saved_view in saved],
        "sort": sort,
        "columns": set(view.columns) if view is not None and view.columns else set(COLUMNS),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "queue-results":
        return render(request, "tickets/_queue_results.html", context)
    return render(request, "tickets/queue.html", context)


def _queue_url(request: HttpRequest, **_kwargs: Any) -> str:
    return _safe_next(request, reverse("tickets:queue"))


def _bulk_actions(data: Any, user: Any) -> list[dict[str, Any]]:
    """The bulk form's fields as the action vocabulary's list (tags comma-separated: a tag cannot hold a comma)."""
    actions: list[dict[str, Any]] = []
    if data.get("status"):
        actions.append({"type": "set_status", "value": data["status"]})
    if data.get("assign") == "me":
        actions.append({"type": "assign_agent", "value": user.get_username()})
    elif data.get("assign") == "least_loaded":
        actions.append({"type": "assign_agent", "value": "least_loaded"})
    for field, kind in (("add_tags", "add_tags"), ("remove_tags", "remove_tags")):
        names = [name for name in (data.get(field) or "").split(",") if name.strip()]
        if names:
            actions.append({"type": kind, "value": names})
    return actions


@require_POST
@desk_view
@desk_action(_queue_url)
def bulk(request: HttpRequest) -> HttpResponse:
    """The queue's bulk form: the tickets ticked (up to 100 done at once) or all matching the queue's filters (a
    background job, followed on its own page)."""
    user = request.user
    actions = _bulk_actions(request.POST, user)
    macro_id = request.POST.get("macro") or ""
    if macro_id.isdigit() and len(macro_id) <= 18:
        macro = selectors.macros_for(user=user).filter(pk=int(macro_id)).first()
        if macro is None:
            raise ApplicationError(_("Choose a macro."))
        actions = [*services.macro_bulk_actions(macro), *actions]
    if not actions:
        messages.error(request, _("Choose what to change."))
        return redirect(_queue_url(request))
    unknown: list[str] = []
    if request.POST.get("all_matching") == "1":
        query = QueryDict(request.POST.get("filter_query", ""))
        form = QueueFilterForm(query)
        form.is_valid()
        scope = query.get("scope") or "mine"
        view_id = query.get("view") or ""
        view = (
            selectors.saved_view_get_for_user(user=user, view_id=int(view_id))
            if view_id.isdigit() and len(view_id) <= 18
            else None
        )
        if view is not None:
            # The view's tab with the filter form's picks, read as the queue reads it.
            tickets = selectors.saved_view_queue(user=user, view=view, filters=form.filters(), search=form.search())
        else:
            tickets = selectors.ticket_queue(
                user=user,
                scope=scope if scope in dict(SCOPE_CHOICES) else "mine",
                filters=form.filters(),
                search=form.search(),
            )
        ids = list(tickets.values_list("pk", flat=True)[: BULK_JOB_MAX + 1])
    else:
        references = request.POST.getlist("references")
        if not references:
            messages.error(request, _("Tick the tickets to change."))
            return redirect(_queue_url(request))
        if len(references) <= BULK_SYNC_MAX:
            results = services.tickets_bulk_apply(user=user, references=references, actions=actions)
            done = sum(1 for row in results if row["ok"])
            messages.success(
                request, ngettext("%(count)d ticket changed.", "%(count)d tickets changed.", done) % {"count": done}
            )
            for row in results:
                if not row["ok"]:
                    messages.error(request, f"{row['reference']}: {row['error']}")
            return redirect(_queue_url(request))
        ids, unknown = services.bulk_tickets_found(references=references)
    job = services.bulk_job_create(user=user, actions=actions, ticket_ids=ids, unknown_references=unknown)
    return redirect("tickets:bulk_job", job_id=job.pk)


def _macro_actions(data: Any) -> list[dict[str, Any]]:
    """The macro form's fields as the vocabulary's actions, in the order a macro runs them."""
    actions: list[dict[str, Any]] = []
    texts = {language: (data.get(f"reply_{language}") or "").strip() for language in ("en", "zh-hans")}
    if any(texts.values()):
        actions.append({"type": "reply", "value": {language: text for language, text in texts.items() if text}})
    if (data.get("note") or "").strip():
        actions.append({"type": "note", "value": data["note"].strip()})
    if data.get("status"):
        actions.append({"type": "set_status", "value": data["status"]})
    tags = [name for name in (data.get("add_tags") or "").split(",") if name.strip()]
    if tags:
        actions.append({"type": "add_tags", "value": tags})
    return actions


@require_http_methods(["GET", "HEAD", "POST"])
@desk_view
@desk_action(lambda request, **_kwargs: reverse("tickets:macros"))
def macros(request: HttpRequest) -> HttpResponse:
    """The macros a user keeps (supervisors: the team and global ones too), and a form for a new one."""
    user = request.user
    if request.method == "POST":
        team_id = request.POST.get("team") or ""
        team = Team.objects.filter(pk=int(team_id)).first() if team_id.isdigit() and len(team_id) <= 18 else None
        macro = services.macro_create(
            user=user,
            name=request.POST.get("name", ""),
            scope=request.POST.get("scope") or "personal",
            team=team,
            actions=_macro_actions(request.POST),
            send_reply=request.POST.get("send_reply") == "1",
        )
        messages.success(request, _("Macro %(name)s saved.") % {"name": macro.name})
        return redirect("tickets:macros")
    context = {
        "macros": selectors.macros_managed_by(user=user).order_by("scope", "position", "name"),
        "teams": Team.objects.order_by("name") if roles.is_supervisor(user) else Team.objects.none(),
        "is_supervisor": roles.is_supervisor(user),
        "status_choices": Status.choices,
    }
    return render(request, "tickets/macros.html", context)


@require_POST
@desk_view
@desk_action(lambda request, **_kwargs: reverse("tickets:macros"))
def macro_delete(request: HttpRequest, macro_id: int) -> HttpResponse:
    if macro_id >= 2**63:
        raise Http404("No such macro.")
    macro = get_object_or_404(selectors.macros_managed_by(user=request.user), pk=macro_id)
    services.macro_delete(macro=macro, user=request.user)
    messages.success(request, _("Macro %(name)s deleted.") % {"name": macro.name})
    return redirect("tickets:macros")


BULK_RESULTS_PAGE = 200


@require_safe
@desk_view
def bulk_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = selectors.bulk_job_get_for_user(user=request.user, job_id=job_id) if job_id < 2**63 else None
    if job is None:
        raise Http404("No such bulk action.")
    try:
        number = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        number = 1
    start = (number - 1) * BULK_RESULTS_PAGE
    rows = list(job.results.order_by("ok", "id")[start : start + BULK_RESULTS_PAGE + 1])
    context = {
        "job": job,
        "results": rows[:BULK_RESULTS_PAGE],
        "number": number,
        "has_next": len(rows) > BULK_RESULTS_PAGE,
        "percent": round(100 * (job.succeeded + job.failed) / job.total) if job.total else 100,
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "bulk-progress":
        return render(request, "tickets/_bulk_progress.html", context)
    return render(request, "tickets/bulk_job.html", context)


# The ticket page ---------------------------------------------------------------------------------------------------


def _assignable(ticket: Ticket, user: Any) -> tuple[QuerySet[Team], QuerySet[Any]]:
    """Teams and people this user may assign the ticket to: the ticket's team (supervisors: any team)."""
    User = get_user_model()
    if roles.is_supervisor(user):
        teams = Team.objects.order_by("name")
        members = User.objects.filter(teams__isnull=False, is_active=True)
    else:
        teams = Team.objects.filter(pk=ticket.team_id)
        members = User.objects.filter(teams=ticket.team_id, is_active=True) if ticket.team_id else User.objects.none()
    return teams, members.distinct().order_by("first_name", "username")


def _survey_panel(ticket: Ticket) -> dict[str, Any] | None:
    """The side panel's survey: sent (and until when), answered (scores and comment) or expired; None if none."""
    survey = survey_latest(ticket=ticket)
    if survey is None:
        return None
    if survey.is_answered:
        state = "answered"
    elif survey_is_expired(survey):
        state = "expired"
    else:
        state = "sent"
    scores = [(QUESTIONS[name], getattr(survey, name)) for name in ("overall", *SURVEY_DIMENSIONS)]
    return {"survey": survey, "state": state, "scores": scores}


def _ticket_context(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    revealed: bool = False,
    collision: dict[str, Any] | None = None,
) -> dict[str, Any]:
    user = request.user
    teams, members = _assignable(ticket, user)
    status_choices = [(value, label) for value, label in Status.choices if value in ALLOWED_MOVES[ticket.status]]
    timeline = list(selectors.ticket_timeline(ticket=ticket))
    # The newest event the page shows: every action form sends it back (the collision guard).
    last_event_id = max((event.pk for event in timeline), default=0)
    reply_form = reply_form or ReplyForm()
    if not reply_form.is_bound:
        reply_form.initial.setdefault("seen_event_id", last_event_id)
    return {
        "ticket": ticket,
        "timeline": timeline,
        "last_event_id": last_event_id,
        "live_url": settings.LIVE_URL,
        "collision": collision,
        "team_names": selectors.team_names_shown(),
        "customer_tickets": selectors.customer_tickets(ticket=ticket, user=user),
        "order": ticket_context(ticket, "order", user=user),
        "reply_form": reply_form,
        "canned_responses": selectors.canned_responses_for(user=user, ticket=ticket),
        "macros": selectors.macros_for(user=user, ticket=ticket),
        "assign_form": AssignForm(
            teams=teams, members=members, initial={"team": ticket.team_id, "assignee": ticket.assignee_id}
        ),
        "status_choices": status_choices,
        "severity_form": SeverityForm(initial={"severity": ticket.severity}),
        "category_form": CategoryForm(initial={"category": ticket.category}),
        "customer_message_form": CustomerMessageForm(prefix="phone"),
        "panels": panels_for(request, ticket),
        "survey_panel": _survey_panel(ticket),
        "is_mine": ticket.assignee_id == user.pk,
        "can_acknowledge": ticket.acknowledged_at is None and ticket.is_open,
        # Contact details are masked on the desk; a supervisor's reveal shows them in this one answer.
        "revealed": revealed,
        "can_reveal": roles.may_reveal_contact(user),
    }


def _macro_of(request: HttpRequest, ticket: Ticket, macro_id: str | None) -> Any:
    if not macro_id or not macro_id.isdigit() or len(macro_id) > 18:
        return None
    return selectors.macros_for(user=request.user, ticket=ticket).filter(pk=int(macro_id)).first()


@require_POST
@desk_view
@desk_action(_ticket_url)
def ticket_macro(request: HttpRequest, reference: str) -> HttpResponse:
    """Apply a macro (after its preview). A macro that does not send its reply puts the text in the reply box."""
    ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
    macro = _macro_of(request, ticket, request.POST.get("macro"))
    if macro is None:
        raise ApplicationError(_("Choose a macro."))
    seen = SeenForm(request.POST)
    seen.is_valid()
    try:
        services.macro_apply(
            macro=macro, ticket=ticket, user=request.user, without_reply=not macro.send_reply, **seen.seen()
        )
    except services.TicketChanged as changed:
        return _held(request, ticket, changed)
    messages.success(request, _("Macro %(name)s applied.") % {"name": macro.name})
    url = reverse("tickets:ticket", args=[reference])
    if not macro.send_reply and any(action["type"] == "reply" for action in macro.actions):
        return HttpResponseRedirect(f"{url}?macro_reply={macro.pk}")
    return HttpResponseRedirect(url)


@require_safe
@desk_view
def ticket_detail(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
    reply_form = None
    preview = None
    previewed = _macro_of(request, ticket, request.GET.get("macro_preview"))
    if previewed is not None:
        # Everything the macro would do, done and rolled back: what would change, the reply as it would read.
        try:
            result = services.macro_apply(macro=previewed, ticket=ticket, user=request.user, dry_run=True)
            preview = {"macro": previewed, "changes": result.changes, "reply": result.reply, "note": result.note}
        except ApplicationError as exc:
            preview = {"macro": previewed, "error": str(exc.message)}
    replying = _macro_of(request, ticket, request.GET.get("macro_reply"))
    if replying is not None:
        text = macro_reply_text(macro=replying, ticket=ticket, user=request.user)
        if text:
            reply_form = ReplyForm(initial={"body": text, "kind": ReplyForm.KIND_REPLY})
    canned_id = request.GET.get("canned")
    if canned_id:
        # Without JavaScript the canned response picker reloads the page with the text in the reply box.
        text = _canned_text(request, ticket, canned_id)
        if text is not None:
            reply_form = ReplyForm(initial={"body": text, "kind": ReplyForm.KIND_REPLY})
    context = _ticket_context(request, ticket, reply_form=reply_form)
    context["macro_preview"] = preview
    return render(request, "tickets/ticket.html", context)


def _canned_text(request: HttpRequest, ticket: Ticket, canned_id: str) -> str | None:
    form = CannedPickForm({"canned": canned_id})
    if not form.is_valid():
        return None
    canned = (
        selectors.canned_responses_for(user=request.user, ticket=ticket).filter(pk=form.cleaned_data["canned"]).first()
    )
    if canned is None:
        return None
    return services.canned_response_render(canned=canned, ticket=ticket, agent=request.user)


@require_safe
@desk_view
def canned_insert(request: HttpRequest, reference: str) -> HttpResponse:
    """htmx: the reply textarea filled with a canned response, ready for editing."""
    ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
    text = _canned_text(request, ticket, request.GET.get("canned", ""))
    if text is None:
        return HttpResponse(status=404)
    form = ReplyForm(initial={"body": text})
    return render(request, "tickets/_reply_body.html", {"reply_form": form})


def _held(
    request: HttpRequest, ticket: Ticket, changed: services.TicketChanged, *, reply_form: ReplyForm | None = None
) -> HttpResponse:
    """The collision guard's answer on the desk: the page again (409) with the messages the agent had not seen.
    A reply keeps its draft in the box under them, with "Send anyway"; another action gets a "Do it anyway" form
    carrying what was posted."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "confirm")
        for value in values
    ]
    collision = {
        "events": changed.events,
        "is_reply": reply_form is not None,
        "action": request.path,
        "fields": fields,
    }
    context = _ticket_context(request, ticket, reply_form=reply_form, collision=collision)
    return render(request, "tickets/ticket.html", context, status=409)


@require_POST
@desk_view
@desk_action(_ticket_url)
def ticket_reply(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        _form_errors(request, form)
        # Keep what the agent wrote: render the page again instead of redirecting.
        return render(request, "tickets/ticket.html", _ticket_context(request, ticket, reply_form=form), status=400)
    data = form.cleaned_data
    try:
        if data["kind"] == ReplyForm.KIND_NOTE:
            services.ticket_add_note(
                ticket=ticket, user=request.user, body=data["body"], attachments=data["attachments"], **form.seen()
            )
            messages.success(request, _("Internal note added."))
        else:
            services.ticket_reply(
                ticket=ticket,
                user=request.user,
                body=data["body"],
                attachments=data["attachments"],
                status=data["then"] or None,
                **form.seen(),
            )
            messages.success(request, _("Reply sent to the customer."))
    except services.TicketChanged as changed:
        return _held(request, ticket, changed, reply_form=form)
    return redirect("tickets:ticket", reference=reference)


@require_POST
@desk_view
@desk_action(_ticket_url)
def ticket_customer_message(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
    form = CustomerMessageForm(request.POST, prefix="phone")
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("tickets:ticket", reference=reference)
    message = services.ticket_add_customer_message(
        ticket=ticket, body=form.cleaned_data["body"], user=request.user, channel="phone"
    )
    if message.ticket_id != ticket.pk:
        # The ticket was closed: the service opened a follow-up ticket for the new message.
        messages.success(request, _("The ticket was closed: the message opened a new ticket."))
        url = reverse("tickets:ticket", args=[message.ticket.reference])
        if request.headers.get("HX-Request"):
            # Another page: htmx must navigate rather than swap it into this ticket's URL.
            response = HttpResponse(status=200)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)
    messages.success(request, _("Phone message logged."))
    return redirect("tickets:ticket", reference=reference)


@require_POST
@desk_view
@desk_action(_ticket_url)
def ticket_acknowledge(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
    services.ticket_acknowledge(ticket=ticket, user=request.user)
    messages.success(request, _("Ticket acknowledged; the customer has been told."))
    return redirect("tickets:ticket", reference=reference)


@require_POST
@desk_view
@desk_action(_ticket_url)
def ticket_assign(request: HttpRequest, reference: str) -> HttpResponse:
    user = request.user
    ticket = selectors.ticket_get_for_user(user=user, reference=reference)
    teams, members = _assignable(ticket, user)
    form = AssignForm(request.POST, teams=teams, members=members)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("tickets:ticket", reference=reference)
    team = form.cleaned_data.get("team") or ticket.team
    assignee = form.cleaned_data.get("assignee")
    try:
        services.ticket_assign(ticket=ticket, user=user, assignee=assignee, team=team, **form.seen())
    except services.TicketChanged as changed:
        return _held(request, ticket, changed)
    if assignee is None:
        messages.success(request, _("Ticket unassigned."))
    elif assignee.pk == user.pk:
        messages.success(request, _("Ticket assigned to you."))
    else:
        name = assignee.get_full_name() or assignee.get_username()
        messages.success(request, _("Ticket assigned to %(name)s.") % {"name": name})
    return redirect("tickets:ticket", reference=reference)


@require_POST
@desk_view
@desk_action(_ticket_url)
def ticket_tags(request: HttpRequest, reference: str) -> HttpResponse:
    """Add the comma-separated names of `add`, remove those of `remove` (a tag cannot hold a comma)."""
    ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
    add = [name for text in request.POST.getlist("add") for name in text.split(",") if name.strip()]
    remove = [name for name in request.POST.getlist("remove") if name.strip()]
    before = ticket.updated_at
    services.ticket_tags_change(ticket=ticket, actor=services.Actor(user=request.user), add=add, remove=remove)
    if ticket.updated_at != before:
        messages.success(request, _("Tags saved."))
    return redirect("tickets:ticket", reference=reference)


def _visible(request: HttpRequest, references: list[str]) -> list[Ticket]:
    tickets, missing = selectors.tickets_get_for_user(user=request.user, references=references)
    if missing:
        raise ApplicationError(_("No such ticket, or you may not see it: %(reference)s") % {"reference": missing[0]})
    return tickets


@require_POST
@desk_view
@desk_action(_ticket_url)
def ticket_merge(request: HttpRequest, reference: str) -> HttpResponse:
    target = selectors.ticket_get_for_user(user=request.user, reference=reference)
    sources = _visible(request, request.POST.get("sources", "").split(","))
    services.ticket_merge(target=target, sources=sources, user=request.user)
    messages.success(
        request,
        ngettext("%(count)d ticket merged into this one.", "%(count)d tickets merged into this one.", len(sources))
        % {"count": len(sources)},
    )
    return redirect("tickets:ticket", reference=reference)


@require_POST
@desk_view
@desk_action(_ticket_url)
def ticket_link(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
    others = _visible(request, [request.POST.get("reference", "")])
    if not others:
        raise ApplicationError(_("Give the reference of the ticket to link."))
    services.ticket_link(ticket=ticket, other=others[0], user=request.user)
    messages.success(request, _("Tickets linked."))
    return redirect("tickets:ticket", reference=reference)


@require_POST
@desk_view
@desk_action(_ticket_url)
def ticket_split(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
    try:
        message_id = int(request.POST.get("message_id", ""))
        if not 0 < message_id < 2**63:
            raise ValueError(message_id)
    except ValueError:
        raise ApplicationError(_("Choose a customer message of this ticket.")) from None
    new = services.ticket_split(
        ticket=ticket, message_id=message_id, following=request.POST.get("following") == "1", user=request.user
    )
    messages.success(request, _("Split into %(reference)s.") % {"reference": new.reference})
    return redirect("tickets:ticket", reference=new.reference)


@require_POST
@desk_view
@desk_action(_ticket_url)
def ticket_change_status(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
    form = StatusForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("tickets:ticket", reference=reference)
    try:
        ticket = services.ticket_change_status(
            ticket=ticket, status=form.cleaned_data["status"], user=request.user, **form.seen()
        )
    except services.TicketChanged as changed:
        return _held(request, ticket, changed)
    messages.success(request, _("Status changed to %(status)s.") % {"status": ticket.get_status_display()})
    return redirect("tickets:ticket", reference=reference)


@require_POST
@desk_view
@desk_action(_ticket_url)
def ticket_change_severity(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
    form = SeverityForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("tickets:ticket", reference=reference)
    ticket = services.ticket_change_severity(ticket=ticket, severity=form.cleaned_data["severity"], user=request.user)
    messages.success(request, _("Severity changed to %(severity)s.") % {"severity": ticket.get_severity_display()})
    return redirect("tickets:ticket", reference=reference)


@require_POST
@desk_view
@desk_action(_ticket_url)
def ticket_change_category(request: HttpRequest, reference: str) -> HttpResponse:
    ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
    form = CategoryForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("tickets:ticket", reference=reference)
    ticket = services.ticket_change_category(ticket=ticket, category=form.cleaned_data["category"], user=request.user)
    messages.success(request, _("Category changed to %(category)s.") % {"category": ticket.get_category_display()})
    return redirect("tickets:ticket", reference=reference)


@require_POST
@never_cache
@desk_view
@desk_action(_ticket_url)
def ticket_reveal_customer(request: HttpRequest, reference: str) -> HttpResponse:
    """The page once more, with the customer's full e-mail and phone; the reveal is on the timeline. Rendered, not
    redirected: the full details are shown in this answer only, never kept in the session or the URL."""
    ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
    privacy.customer_reveal(ticket=ticket, user=request.user)
    return render(request, "tickets/ticket.html", _ticket_context(request, ticket, revealed=True))


@require_safe
@desk_view
def attachment_download(request: HttpRequest, reference: str, attachment_id: int) -> FileResponse:
    """Attachments are served only to users who may see the ticket, never from a public media URL."""
    ticket = selectors.ticket_get_for_user(user=request.user, reference=reference)
    attachment = get_object_or_404(Attachment, pk=attachment_id, ticket=ticket)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.filename)
    response["Content-Type"] = attachment.content_type or "application/octet-stream"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Preferences and language ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@desk_view
def preferences(request: HttpRequest) -> HttpResponse:
    profile = StaffProfile.objects.filter(user=request.user).first()
    initial = {
        "language": profile.language if profile else settings.LANGUAGE_CODE,
        "time_zone": profile.time_zone if profile else settings.TIME_ZONE,
        "is_available": profile.is_available if profile else True,
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            services.staff_set_preferences(
                user=request.user,
                language=data["language"],
                time_zone=data["time_zone"],
                is_available=data["is_available"],
            )
            # Say it in the language just chosen.
            with translation.override(data["language"]):
                messages.success(request, _("Preferences saved."))
            return redirect("tickets:preferences")
        _form_errors(request, form)
    return render(request, "tickets/preferences.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The header's language switch: saved in the profile for staff, in a cookie for the login page."""
    form = LanguageForm(request.POST)
    fallback = reverse("tickets:queue") if request.user.is_authenticated else settings.LOGIN_URL
    target = _safe_next(request, fallback)
    response = HttpResponseRedirect(target)
    if not form.is_valid():
        return response
    language = form.cleaned_data["language"]
    if request.user.is_authenticated and roles.is_staff_member(request.user):
        services.staff_set_preferences(user=request.user, language=language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response

"""Satisfaction surveys: created on resolve, e-mailed once, answered once on the public page in two languages."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from aftersales.errors import InvalidInput
from tests import parallel
from tests.conftest import closed_port
from tests.factories import CustomerFactory, make_ticket
from tickets import services
from tickets.models import EventKind, Status, Survey, TicketEvent
from tickets.services.surveys import (
    SurveyAnswered,
    SurveyExpired,
    survey_answer,
    survey_send_email,
    survey_url,
    surveys_email_pending,
)
from tickets.tasks import send_survey_email

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def resolve(ticket, agent, django_capture_on_commit_callbacks, **kwargs) -> Survey:
    """Resolve through the service, running the after-commit work (the e-mail task) as a real commit would."""
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, user=agent, **kwargs)
    return Survey.objects.filter(ticket=ticket).latest("created_at")


def page_path(survey: Survey) -> str:
    return reverse("survey", args=[survey.token])


@pytest.fixture
def survey(storefront, agent, django_capture_on_commit_callbacks) -> Survey:
    ticket = make_ticket(storefront, customer=CustomerFactory(storefront=storefront, email="li.lei@example.com"))
    return resolve(ticket, agent, django_capture_on_commit_callbacks)


# The token --------------------------------------------------------------------------------------------------------


def test_each_resolution_gets_its_own_unguessable_token(storefront, agent, django_capture_on_commit_callbacks):
    # given a ticket resolved, reopened by the customer and resolved again
    ticket = make_ticket(storefront)
    first = resolve(ticket, agent, django_capture_on_commit_callbacks)
    services.ticket_add_customer_message(ticket=ticket, body="Still broken.", storefront=storefront)
    second = resolve(ticket, agent, django_capture_on_commit_callbacks)

    # then each survey has its own 256-bit URL-safe token, and the link is absolute
    assert first.token != second.token
    for survey in (first, second):
        assert len(survey.token) >= 43
        assert set(survey.token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        assert survey_url(survey).startswith("http")
        assert survey_url(survey).endswith(f"/s/{survey.token}/")
    assert second.expires_at - second.created_at == timedelta(days=14)


def test_the_survey_remembers_who_resolved_and_keeps_it_after_a_reassignment(
    storefront, agent, supervisor, django_capture_on_commit_callbacks
):
    # given a ticket assigned to the agent and resolved
    ticket = make_ticket(storefront)
    services.ticket_assign(ticket=ticket, user=supervisor, assignee=agent)
    ticket.refresh_from_db()
    survey = resolve(ticket, agent, django_capture_on_commit_callbacks)

    # when a supervisor hands the ticket to someone else afterwards
    services.ticket_assign(ticket=ticket, user=supervisor, assignee=supervisor)

    # then the survey still rates the agent's resolution (the reports' satisfaction per agent reads this)
    survey.refresh_from_db()
    assert survey.assignee == agent


# The page ---------------------------------------------------------------------------------------------------------


def test_the_page_opens_without_login_on_a_phone_in_the_storefronts_language(client, survey):
    # given the storefront speaks English (the factory's default) and nobody is signed in
    response = client.get(page_path(survey))

    # then the form is there, sized for a phone, with the six questions and the switch to Chinese
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert response["Content-Language"] == "en"
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "css/survey.css" in html and "css/desk.css" not in html
    for name in ("overall", "response_speed", "attitude", "resolution_efficiency", "process_convenience", "channel"):
        assert html.count(f'name="{name}"') == 5
    assert 'name="comment"' in html
    assert "How did we do?" in html
    assert survey.ticket.reference in html
    assert 'href="?lang=zh-hans"' in html and "中文" in html
    # no cookie is needed, so webviews that refuse cookies still work
    assert not response.cookies


def test_the_page_follows_a_chinese_storefront_and_the_switch(client, survey):
    # given a storefront whose customers read Chinese
    storefront = survey.ticket.storefront
    storefront.language = "zh-hans"
    storefront.save()

    # then the page is in Chinese by default
    chinese = client.get(page_path(survey))
    assert chinese.status_code == 200
    assert '<html lang="zh-hans">' in chinese.content.decode()
    assert 'aria-label="语言"' in chinese.content.decode()
    assert chinese["Content-Language"] == "zh-hans"

    # and the EN link switches it to English, and the form keeps the choice for the answer
    english = client.get(page_path(survey), {"lang": "en"})
    html = english.content.decode()
    assert '<html lang="en">' in html
    assert 'aria-label="Language"' in html
    assert '<input type="hidden" name="lang" value="en">' in html

    # and an unknown language falls back to the storefront's
    assert client.get(page_path(survey), {"lang": "fr"})["Content-Language"] == "zh-hans"


def test_an_answer_is_recorded_with_an_event_on_the_ticket(client, survey):
    # when the customer answers every question
    response = client.post(
        page_path(survey),
        {
            "overall": "4",
            "response_speed": "5",
            "attitude": "3",
            "resolution_efficiency": "2",
            "process_convenience": "1",
            "channel": "5",
            "comment": "  Quick and polite.  ",
            "lang": "en",
        },
    )

    # then they are thanked, and the answer is stored
    assert response.status_code == 200
    assert "Thank you!" in response.content.decode()
    survey.refresh_from_db()
    assert survey.is_answered
    assert (survey.overall, survey.response_speed, survey.attitude) == (4, 5, 3)
    assert (survey.resolution_efficiency, survey.process_convenience, survey.channel) == (2, 1, 5)
    assert survey.comment == "Quick and polite."
    # and the ticket's timeline says the customer answered
    event = TicketEvent.objects.get(ticket=survey.ticket, kind=EventKind.SURVEY_ANSWERED)
    assert event.data == {"survey": survey.pk, "overall": 4}


def test_only_the_overall_score_is_required(client, survey):
    response = client.post(page_path(survey), {"overall": "5"})

    assert response.status_code == 200
    survey.refresh_from_db()
    assert survey.overall == 5
    assert survey.response_speed is None and survey.channel is None and survey.comment == ""


@pytest.mark.parametrize(
    ("data", "field_label"),
    [
        ({}, "Overall satisfaction"),
        ({"overall": "0"}, "Overall satisfaction"),
        ({"overall": "six"}, "Overall satisfaction"),
        ({"overall": "5", "response_speed": "9"}, "Response speed"),
        ({"overall": "5", "channel": "-1"}, "Contact channel"),
        ({"overall": "5", "comment": "x" * 2001}, "Anything else you would like to tell us?"),
        ({"overall": "5", "comment": "nul \x00 byte"}, "Anything else you would like to tell us?"),
    ],
)
def test_form_errors_name_the_field_and_record_nothing(client, survey, data, field_label):
    response = client.post(page_path(survey), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Please check your answers" in html
    assert f"{field_label}: " in html
    survey.refresh_from_db()
    assert not survey.is_answered


def test_a_second_answer_is_refused_politely(client, survey):
    # given the survey was answered
    assert client.post(page_path(survey), {"overall": "2", "comment": "first"}).status_code == 200

    # when the link is opened or submitted again
    opened = client.get(page_path(survey))
    resubmitted = client.post(page_path(survey), {"overall": "5", "comment": "second"})

    # then both say it is already answered (410 Gone), and the first answer stands
    for response in (opened, resubmitted):
        assert response.status_code == 410
        assert "already been answered" in response.content.decode()
    survey.refresh_from_db()
    assert (survey.overall, survey.comment) == (2, "first")
    assert TicketEvent.objects.filter(ticket=survey.ticket, kind=EventKind.SURVEY_ANSWERED).count() == 1


def test_an_expired_survey_is_refused_politely(client, survey):
    # given the 14 days are over
    Survey.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    # then the page says so (410 Gone), and an answer posted anyway is not recorded
    for response in (client.get(page_path(survey)), client.post(page_path(survey), {"overall": "5"})):
        assert response.status_code == 410
        assert "This survey has closed" in response.content.decode()
    survey.refresh_from_db()
    assert not survey.is_answered


@pytest.mark.parametrize(
    ("scores", "field"),
    [({"overall": None}, "overall"), ({"overall": 6}, "overall"), ({"overall": 5, "attitude": 0}, "attitude")],
)
def test_the_service_refuses_scores_outside_1_to_5_naming_the_field(survey, scores, field):
    with pytest.raises(InvalidInput) as refused:
        survey_answer(token=survey.token, **scores)
    assert set(refused.value.errors) == {field}
    survey.refresh_from_db()
    assert not survey.is_answered


def test_the_service_refuses_after_expiry_and_twice(survey):
    with pytest.raises(SurveyExpired):
        survey_answer(token=survey.token, overall=5, now=survey.expires_at)
    survey_answer(token=survey.token, overall=5, now=survey.expires_at - timedelta(seconds=1))
    with pytest.raises(SurveyAnswered):
        survey_answer(token=survey.token, overall=1)


@pytest.mark.parametrize("token", ["nope", "A" * 43, "A" * 200, "abc%00def" + "x" * 40, "x" * 42 + "."])
def test_an_unknown_token_is_404(client, survey, token):
    response = client.get(f"/s/{token}/")

    assert response.status_code == 404
    assert "Survey not found" in response.content.decode()
    assert client.post(f"/s/{token}/", {"overall": "5"}).status_code == 404


def test_the_customers_comment_is_escaped_on_the_page_the_desk_and_the_admin(client, survey, supervisor):
    # given a comment with a script, first sent with an error so the page shows it back
    again = client.post(page_path(survey), {"comment": XSS})
    assert again.status_code == 400
    assert XSS not in again.content.decode() and ESCAPED in again.content.decode()

    # when it is sent for real
    assert client.post(page_path(survey), {"overall": "1", "comment": XSS}).status_code == 200

    # then the desk's ticket page and the admin show it as text
    staff = Client()
    staff.force_login(supervisor)
    pages = [
        staff.get(reverse("tickets:ticket", args=[survey.ticket.reference])),
        staff.get(reverse("admin:tickets_survey_changelist")),
        staff.get(reverse("admin:tickets_survey_change", args=[survey.pk])),
    ]
    for response in pages:
        assert response.status_code == 200
        html = response.content.decode()
        assert XSS not in html
        assert ESCAPED in html


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_submits_at_once_record_one_answer(storefront, agent):
    # given a resolved ticket's survey (committed: the threads have their own connections)
    ticket = make_ticket(storefront)
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, user=agent)
    survey = Survey.objects.get(ticket=ticket)
    count = 10

    def submit(index: int) -> int:
        return Client().post(page_path(survey), {"overall": str(index % 5 + 1), "comment": f"from {index}"}).status_code

    # when ten browsers submit the same survey at the same instant
    statuses = parallel.run_at_once(submit, count)

    # then exactly one answer is recorded, the others are told it is already answered
    assert sorted(statuses) == [200] + [410] * (count - 1), statuses
    survey.refresh_from_db()
    winner = int(survey.comment.removeprefix("from "))
    assert survey.overall == winner % 5 + 1
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.SURVEY_ANSWERED).count() == 1


# The desk ---------------------------------------------------------------------------------------------------------


def test_the_desk_shows_the_survey_state(agent_desk, survey, agent):
    url = reverse("tickets:ticket", args=[survey.ticket.reference])

    # sent
    html = agent_desk.get(url).content.decode()
    assert "Satisfaction survey" in html
    assert "E-mailed to the customer." in html

    # answered, with the scores and the comment; the timeline has the event
    survey_answer(token=survey.token, overall=5, attitude=4, comment="Lovely people")
    html = agent_desk.get(url).content.decode()
    assert "5 / 5" in html and "4 / 5" in html
    assert "Lovely people" in html
    assert "Customer answered the survey" in html


def test_the_desk_shows_an_expired_survey_and_nothing_without_one(agent_desk, survey, storefront):
    Survey.objects.filter(pk=survey.pk).update(expires_at=timezone.now() - timedelta(days=1))
    html = agent_desk.get(reverse("tickets:ticket", args=[survey.ticket.reference])).content.decode()
    assert "Expired" in html and "not answered" in html

    unresolved = make_ticket(storefront)
    html = agent_desk.get(reverse("tickets:ticket", args=[unresolved.reference])).content.decode()
    assert "Satisfaction survey" not in html


# The e-mail -------------------------------------------------------------------------------------------------------


def test_resolving_emails_the_link_once_even_if_the_task_runs_again(survey):
    # the resolve (fixture) sent it after commit
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["li.lei@example.com"]
    assert survey.ticket.reference in message.subject
    assert survey_url(survey) in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and survey_url(survey) in html
    survey.refresh_from_db()
    assert survey.emailed_at is not None

    # when the task runs again (a redelivered message) and the catch-up runs too
    send_survey_email.apply(args=[survey.pk])
    assert survey_send_email(survey_id=survey.pk) is False
    assert surveys_email_pending(now=timezone.now() + timedelta(minutes=10)) == 0

    # then the customer still has one e-mail
    assert len(mail.outbox) == 1


def test_the_email_is_in_the_storefronts_language_and_escapes_the_name(
    storefront, agent, django_capture_on_commit_callbacks
):
    storefront.language = "zh-hans"
    storefront.save()
    customer = CustomerFactory(storefront=storefront, name=XSS, email="c@example.com")
    ticket = make_ticket(storefront, customer=customer)

    resolve(ticket, agent, django_capture_on_commit_callbacks)

    (message,) = mail.outbox
    html, _mimetype = message.alternatives[0]
    assert '<html lang="zh-hans">' in html
    assert XSS not in html and ESCAPED in html


def test_no_email_without_an_address_and_the_resolve_still_happens(
    storefront, agent, django_capture_on_commit_callbacks
):
    ticket = make_ticket(storefront, customer=CustomerFactory(storefront=storefront, email=""))

    survey = resolve(ticket, agent, django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert survey.emailed_at is None
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_a_mail_server_that_is_down_never_blocks_the_resolve_and_the_catch_up_sends_later(
    settings, storefront, agent, django_capture_on_commit_callbacks
):
    # given the mail server cannot be reached
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port()
    settings.EMAIL_TIMEOUT = 2
    ticket = make_ticket(storefront, customer=CustomerFactory(storefront=storefront, email="c@example.com"))

    # when the agent resolves
    survey = resolve(ticket, agent, django_capture_on_commit_callbacks)

    # then the ticket is resolved and the survey is waiting to be e-mailed
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    survey.refresh_from_db()
    assert survey.emailed_at is None

    # and once the server is back, the catch-up sends it, once
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    later = timezone.now() + timedelta(minutes=5)
    assert surveys_email_pending(now=later) == 1
    assert surveys_email_pending(now=later) == 0
    assert [m.to for m in mail.outbox] == [["c@example.com"]]


# The webhook ------------------------------------------------------------------------------------------------------


def test_the_resolved_webhook_carries_a_working_survey_link(
    client, storefront, agent, webhook_receiver, django_capture_on_commit_callbacks
):
    storefront.webhook_url = webhook_receiver.url
    storefront.save()
    ticket = make_ticket(storefront)

    survey = resolve(ticket, agent, django_capture_on_commit_callbacks)

    (request,) = [r for r in webhook_receiver.wait_for(1) if r.json["type"] == "ticket.resolved"]
    sent = request.json["data"]["survey"]
    assert sent["url"] == survey_url(survey)
    assert sent["expires_at"] == survey.expires_at.isoformat()
    # the storefront can show that link, and it opens the survey
    assert client.get(urlsplit(sent["url"]).path).status_code == 200

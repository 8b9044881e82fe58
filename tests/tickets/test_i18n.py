"""The desk in each user's language and time zone."""

from datetime import UTC, datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.factories import make_ticket
from tickets import services

pytestmark = pytest.mark.django_db


def test_user_with_chinese_sees_the_desk_in_chinese(agent_desk, agent, storefront, team):
    # given an agent who chose Simplified Chinese
    services.staff_set_preferences(user=agent, language="zh-hans")
    ticket = make_ticket(storefront, subject="Kettle leaks")
    # when they open the queue and the ticket
    queue = agent_desk.get("/desk/", {"scope": "team"}).content.decode()
    page = agent_desk.get(reverse("tickets:ticket", args=[ticket.reference])).content.decode()
    # then the desk speaks Chinese, and the customer's own words stay as written
    assert '<html lang="zh-hans">' in queue
    assert "工单队列" in queue
    assert "我的" in queue and "未分配" in queue
    assert "新建" in queue  # the status label
    assert "Kettle leaks" in queue
    assert "处理记录" in page
    assert "受理" in page
    assert "Queue" not in queue.split("<main")[1]


def test_english_user_sees_english(agent_desk, agent, storefront, team):
    queue = agent_desk.get("/desk/").content.decode()
    assert '<html lang="en">' in queue
    assert ">Queue<" in queue
    assert "工单队列" not in queue


def test_action_messages_are_translated(agent_desk, agent, storefront, team):
    services.staff_set_preferences(user=agent, language="zh-hans")
    ticket = make_ticket(storefront)
    # an illegal move: the service's refusal comes back in Chinese too
    url = reverse("tickets:status", args=[ticket.reference])
    page = agent_desk.post(url, {"status": "closed"}, follow=True).content.decode()
    assert "工单不能从“新建”变为“已关闭”。" in page
    page = agent_desk.post(reverse("tickets:acknowledge", args=[ticket.reference]), follow=True).content.decode()
    assert "工单已受理，已通知客户。" in page
    assert "工单不能从" not in page  # each message is shown once


def test_language_switch_in_the_header_is_remembered(agent_desk, agent):
    # when the agent picks Chinese in the header
    response = agent_desk.post("/desk/language/", {"language": "zh-hans", "next": "/desk/?scope=team"})
    # then they return to the same page, now in Chinese, and it stays so on the next visit
    assert response["Location"] == "/desk/?scope=team"
    agent.profile.refresh_from_db()
    assert agent.profile.language == "zh-hans"
    assert "工单队列" in agent_desk.get("/desk/").content.decode()


def test_login_page_follows_the_language_cookie(client):
    client.post("/desk/language/", {"language": "zh-hans", "next": "/accounts/login/"})
    page = client.get("/accounts/login/").content.decode()
    assert "登录" in page and "用户名" in page


def test_preferences_change_the_language(agent_desk, agent):
    response = agent_desk.post("/desk/preferences/", {"language": "zh-hans", "time_zone": "Asia/Shanghai"})
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["偏好设置已保存。"]
    assert "偏好设置" in agent_desk.get("/desk/preferences/").content.decode()


def test_times_are_shown_in_the_users_time_zone(agent_desk, agent, storefront, team):
    # given a ticket created at 00:30 UTC
    ticket = make_ticket(storefront, now=datetime(2026, 3, 2, 0, 30, tzinfo=UTC))
    url = reverse("tickets:ticket", args=[ticket.reference])
    # when the agent works in Shanghai, the queue and the ticket page say 08:30
    services.staff_set_preferences(user=agent, time_zone="Asia/Shanghai")
    assert "2026-03-02 08:30" in agent_desk.get("/desk/", {"scope": "team"}).content.decode()
    assert "2026-03-02 08:30" in agent_desk.get(url).content.decode()
    # and in New York, the evening before
    services.staff_set_preferences(user=agent, time_zone="America/New_York")
    page = agent_desk.get(url).content.decode()
    assert "2026-03-01 19:30" in page
    assert "08:30" not in page


def test_team_names_follow_the_language(agent_desk, agent, storefront, team):
    team.name_zh = "客服部"
    team.save()
    ticket = make_ticket(storefront)
    url = reverse("tickets:ticket", args=[ticket.reference])
    assert "客服部" not in agent_desk.get(url).content.decode()
    services.staff_set_preferences(user=agent, language="zh-hans")
    assert "客服部" in agent_desk.get(url).content.decode()


def _po_entries(path) -> list[tuple[str, list[str]]]:
    """(msgid, [msgstr...]) of a .po file, without the header and obsolete entries."""
    import ast

    entries: list[tuple[str, list[str]]] = []
    msgid: str | None = None
    msgstrs: list[str] = []
    current: str | None = None
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line or line.startswith("#"):
            if msgid is not None and current is not None and not raw.startswith("#~"):
                if msgid:
                    entries.append((msgid, msgstrs))
                msgid, msgstrs, current = None, [], None
            continue
        keyword, _space, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
            if current == "msgid":
                msgid += value
            elif current == "msgstr":
                msgstrs[-1] += value
            continue
        value = ast.literal_eval(rest)
        if keyword == "msgid":
            msgid, msgstrs, current = value, [], "msgid"
        elif keyword == "msgid_plural":
            current = "plural"
        elif keyword.startswith("msgstr"):
            msgstrs.append(value)
            current = "msgstr"
    return entries


def test_every_message_has_a_chinese_translation_compiled():
    import gettext

    from django.conf import settings

    folder = settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"
    entries = _po_entries(folder / "django.po")
    assert len(entries) > 300
    untranslated = [msgid for msgid, msgstrs in entries if not all(msgstrs)]
    assert untranslated == []
    # the committed .mo is the compiled .po (no gettext tools needed at run time)
    with (folder / "django.mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    stale = [msgid for msgid, _msgstrs in entries if msgid not in catalog and (msgid, 0) not in catalog]
    assert stale == []


def test_the_survey_page_and_the_reports_speak_chinese(client, supervisor_desk, supervisor, storefront, agent):
    # given a resolved ticket of a Chinese storefront, and a supervisor who reads the desk in Chinese
    storefront.language = "zh-hans"
    storefront.save()
    ticket = make_ticket(storefront)
    services.ticket_change_status(ticket=ticket, status="resolved", user=agent)
    survey = ticket.surveys.get()
    supervisor.profile.language = "zh-hans"
    supervisor.profile.save()

    # the customer's survey page is in the storefront's language
    page = client.get(reverse("survey", args=[survey.token])).content.decode()
    assert "总体满意度" in page and "Overall satisfaction" not in page
    # and the reports, in the supervisor's
    reports = supervisor_desk.get("/reports/").content.decode()
    assert "首次响应时长" in reports or "首次响应" in reports
    assert "First response by hour of creation" not in reports

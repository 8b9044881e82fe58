"""Every desk page as a Simplified Chinese user: no English UI text. And every translation catalog complete.

The pages are rendered with data in Chinese (storefront, customer, team, staff names), so that what remains in
Latin letters is either the interface (a failure) or one of the few codes that stay as they are (SLA, SKU, CNY...).
"""

import json
import re
import shutil
import subprocess
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from aftersales.mail import FILE_BACKEND
from alerts import services as alert_services
from complaints import services as complaint_services
from returns import services as return_services
from returns.models import ReturnPolicy
from tests.factories import CustomerFactory, make_ticket
from tests.returns.conftest import make_return
from tickets import services
from tickets.models import InboundMessage, Team, Ticket, TimeRule, Trigger
from tickets.services import merge
from tickets.services.automation import rule_save
from tickets.services.chat import chat_channel_save, chat_post
from tickets.services.inbound import inbound_receive
from tickets.services.mailboxes import mailbox_create

pytestmark = pytest.mark.django_db

# Codes and names that are the same in both languages.
KEPT = {
    "SLA",
    "KPI",
    "KPIs",
    "SKU",
    "CNY",
    "API",
    "CSV",
    "IMAP",
    "HTML",
    "ID",
    "Token",
    "UTC",
    "URL",
    "Webhook",
    "TLS",
    "STARTTLS",
    "IMAPS",
    "SF",
    "Express",
    "QR",
    "TOTP",
    "OpenAPI",
    "Swagger",
    "zh",
    "hans",
    "en",
    "English",
    "Asia",
    "Shanghai",
    "JSON",
    "README",
}
# kbd: key names (Enter, Esc) are printed on the keys themselves. textarea: what it holds is a value being edited
# (a rule's conditions and actions in their JSON language), never a label; its placeholder is still read.
SKIPPED_TAGS = {"script", "style", "datalist", "code", "pre", "svg", "kbd", "textarea"}


class _Text(HTMLParser):
    """The text a user reads: text nodes and the labels of controls, outside scripts, code and suggestion lists."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping += 1
        values = dict(attrs)
        for name in ("aria-label", "placeholder", "title", "data-confirm"):
            if values.get(name):
                self.parts.append(values[name])

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def english_words(html: str, *, data: list[str]) -> list[str]:
    parser = _Text()
    parser.feed("<body" + html.split("<body", 1)[1])
    text = " ".join(parser.parts).replace("Message-ID", " ")  # the mail header's name, as in the mail itself
    for value in data:
        text = text.replace(value, " ")
    text = re.sub(r"\S+@\S+|https?://\S+|\b[\w.-]*\d[\w./:-]*", " ", text)  # addresses, links, ids, times
    # A language's own name in the language switcher is meant to stay as it is.
    return [word for word in re.findall(r"[A-Za-z]{2,}", text) if word not in KEPT]


@pytest.fixture
def zh_world(storefront, team, agent, supervisor, finance_user):
    storefront.name, storefront.language = "优品商城", "zh-hans"
    storefront.save()
    Team.objects.filter(pk=team.pk).update(name_zh="客服部")
    for user, (first, last) in ((supervisor, ("苏", "主管")), (agent, ("安", "客服")), (finance_user, ("方", "财务"))):
        user.first_name, user.last_name = first, last
        user.save()
        services.staff_set_preferences(user=user, language="zh-hans")
    customer = CustomerFactory(storefront=storefront, name="李雷", email="li@example.com", phone="+8613800000000")
    now = timezone.now()
    inquiry = make_ticket(
        storefront,
        subject="水壶漏水",
        body="底座漏水。",
        customer=customer,
        order_external_id="SO-10001",
        now=now - timedelta(hours=30),
    )
    services.ticket_assign(ticket=inquiry, user=supervisor, team=team, assignee=agent)
    services.ticket_add_note(ticket=inquiry, user=agent, body="已联系仓库。")
    alert_services.sla_sweep(now=now)
    ReturnPolicy.objects.create(storefront=storefront, advance_refund=True)
    return_request = make_return(storefront)
    return_services.return_ship(
        return_request=return_request, storefront=storefront, carrier="SF Express", tracking_number="SF1"
    )
    complaint = complaint_services.complaint_create(
        storefront=storefront,
        category="service",
        body="客服态度不好。",
        severity="severe",
        customer=customer,
        order_external_id="SO-10001",
    )
    # Today's pages: a macro, a trigger and a time rule, a finished bulk job, a saved view, an e-mail ticket.
    macro = services.macro_create(
        user=supervisor, name="退货说明", scope="global", actions=[{"type": "add_tags", "value": ["退货"]}]
    )
    trigger = rule_save(
        model=Trigger,
        data={"name": "新工单备注", "event": "ticket.created", "actions": [{"type": "note", "value": "已收到。"}]},
    )
    time_rule = rule_save(
        model=TimeRule,
        data={
            "name": "待回复提醒",
            "active": False,
            "conditions": {"all": [{"field": "hours_since.pending_since", "op": "gt", "value": 0}]},
            "actions": [{"type": "add_tags", "value": ["提醒"]}],
        },
    )
    job = services.bulk_job_create(
        user=supervisor, actions=[{"type": "add_tags", "value": ["批量"]}], ticket_ids=[inquiry.pk]
    )
    services.bulk_job_run(job_id=job.pk)
    services.saved_view_create(user=supervisor, name="我的待办", filters={"status": "open"})
    team_view = services.saved_view_create(user=supervisor, name="团队待办", team=team, filters={"status": "open"})
    channel = chat_channel_save(
        data={
            "name": "售后值班群",
            "kind": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=t",
            "language": "zh-hans",
        }
    )
    chat_post(channel=channel, title="新工单", text="水壶漏水", ticket=inquiry)  # queued: the test never commits
    # The ticket page's related tickets: one linked, one merged in.
    linked = make_ticket(storefront, subject="壶盖松了", body="壶盖松了。", customer=customer)
    merge.ticket_link(ticket=inquiry, other=linked, user=supervisor)
    duplicate = make_ticket(storefront, subject="水壶又漏了", body="还是漏。", customer=customer)
    merge.ticket_merge(target=inquiry, sources=[duplicate], user=supervisor)
    mailbox = mailbox_create(storefront=storefront, address="care@shop.example", provider="mailgun", webhook_secret="k")
    raw = (
        "From: 韩梅梅 <hmm@customer.example>\r\nTo: care@shop.example\r\nSubject: 杯子碎了\r\n"
        "Message-ID: <cup-1@customer.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n杯子碎了。\r\n"
    ).encode()
    inbound_receive(mailbox=mailbox, raw=raw)
    mail_ticket = Ticket.objects.get(subject="杯子碎了")
    return {
        "inquiry": inquiry,
        "return": return_request,
        "complaint": complaint,
        "trigger": trigger,
        "time_rule": time_rule,
        "job": job,
        "mail_ticket": mail_ticket,
        "inbound": InboundMessage.objects.get(),
        "macro": macro,
        "team_view": team_view,
        "duplicate": duplicate,
    }


# What the fixture's own data puts on the pages in Latin letters (the customer's words, product names).
DATA = ["It leaks.", "Electric kettle", "KET-01", "Li Lei", "SF Express", "example.com"]
# The audit page quotes what was recorded as it was: the storefront's and team's names then, the roles' group names.
# and the e-mail provider and IMAP folder a mailbox was given.
AUDIT_DATA = ["Acme Shop", "Customer service", "agents", "supervisors", "finance", "mailgun", "INBOX"]


def _pages(world) -> list[str]:
    return [
        "/desk/?scope=all",
        f"/desk/tickets/{world['inquiry'].reference}/",
        f"/desk/tickets/{world['return'].ticket.reference}/",
        f"/desk/tickets/{world['complaint'].ticket.reference}/",
        "/desk/returns/",
        f"/desk/returns/{world['return'].reference}/",
        "/desk/refunds/",
        "/desk/complaints/",
        f"/desk/complaints/{world['complaint'].reference}/",
        "/desk/complaints/routing/",
        "/reports/complaints/",
        "/alerts/",
        "/alerts/notifications/",
        "/reports/",
        "/desk/audit/",
        "/desk/preferences/",
        "/desk/sign-in-locks/",
        "/desk/macros/",
        f"/desk/bulk/{world['job'].pk}/",
        "/desk/automation/",
        "/desk/automation/triggers/new/",
        "/desk/automation/time-rules/new/",
        f"/desk/automation/triggers/{world['trigger'].pk}/",
        f"/desk/automation/time-rules/{world['time_rule'].pk}/",
        f"/desk/automation/triggers/{world['trigger'].pk}/?reference={world['inquiry'].reference}",
        f"/desk/automation/time-rules/{world['time_rule'].pk}/?reference={world['inquiry'].reference}",
        f"/desk/automation/triggers/{world['trigger'].pk}/?reference=T-999999",
        f"/desk/tickets/{world['mail_ticket'].reference}/",
        f"/desk/tickets/{world['mail_ticket'].reference}/mail/{world['inbound'].pk}/",
        f"/desk/tickets/{world['inquiry'].reference}/?macro_preview={world['macro'].pk}",
        f"/desk/tickets/{world['duplicate'].reference}/",
        f"/desk/?view={world['team_view'].pk}",
    ]


def test_every_desk_page_speaks_chinese_to_a_chinese_supervisor(client, supervisor, zh_world):
    client.force_login(supervisor)
    found: dict[str, list[str]] = {}
    for path in _pages(zh_world):
        response = client.get(path, follow=True)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert '<html lang="zh-hans">' in html, path
        recorded = AUDIT_DATA if path == "/desk/audit/" else []
        words = english_words(html, data=[*DATA, *recorded, supervisor.username, "agent"])
        if words:
            found[path] = sorted(set(words))
    assert found == {}, "\n".join(f"{path}: {words}" for path, words in found.items())


def test_the_finance_pages_speak_chinese_too(client, finance_user, zh_world):
    client.force_login(finance_user)
    for path in ("/desk/", "/desk/refunds/", f"/desk/returns/{zh_world['return'].reference}/"):
        html = client.get(path, follow=True).content.decode()
        assert english_words(html, data=[*DATA, finance_user.username]) == [], path


def test_the_countdown_units_come_from_the_javascript_catalog_in_chinese(client, supervisor, zh_world):
    client.force_login(supervisor)
    page = client.get(f"/desk/tickets/{zh_world['inquiry'].reference}/").content.decode()
    assert '<script src="/jsi18n/" defer></script>' in page
    catalog = client.get("/jsi18n/").content.decode()
    # each unit maps to its Chinese (the catalog is JSON: non-ASCII written as \\u escapes)
    for english, chinese in (
        ("%(days)s d %(hours)s h", "%(days)s 天 %(hours)s 小时"),
        ("%(hours)s h %(minutes)s min", "%(hours)s 小时 %(minutes)s 分钟"),
        ("%(minutes)s min %(seconds)s s", "%(minutes)s 分 %(seconds)s 秒"),
    ):
        assert f"{json.dumps(english)}: {json.dumps(chinese)}" in catalog, english
    script = (Path(settings.BASE_DIR) / "static/js/sla.js").read_text()
    for units in ("%(days)s d %(hours)s h", "%(hours)s h %(minutes)s min", "%(minutes)s min %(seconds)s s"):
        assert f'gettext("{units}")' in script


def test_the_timeline_says_return_states_and_team_names_in_chinese(client, supervisor, zh_world):
    client.force_login(supervisor)
    returned = client.get(f"/desk/tickets/{zh_world['return'].ticket.reference}/").content.decode()
    assert "退回运输中" in returned
    assert "in transit" not in returned
    inquiry = client.get(f"/desk/tickets/{zh_world['inquiry'].reference}/").content.decode()
    assert "客服部" in inquiry and "Customer service" not in inquiry


def test_the_shipped_example_rules_are_named_in_the_readers_language(client, supervisor, zh_world):
    # given the example rules migration 0063 stored in English, and one a person named
    client.force_login(supervisor)

    # when a Chinese supervisor opens the automation page
    page = client.get("/desk/automation/").content.decode()

    # then the shipped ones are named in Chinese, the typed one as typed
    assert "严重投诉：通知主管" in page and "Severe complaints: tell the supervisors" not in page
    assert "新工单备注" in page


def test_the_development_outbox_speaks_chinese(settings, tmp_path, client, supervisor, zh_world):
    # given the development outbox (DEBUG, no mail server) holding a reply in Chinese
    settings.EMAIL_BACKEND = FILE_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    EmailMultiAlternatives(
        "回复：水壶漏水", "您好，已为您安排换货。", "service@shop.example", ["li@example.com"]
    ).send()
    (name,) = [path.name for path in (tmp_path / "mail").iterdir()]
    client.force_login(supervisor)

    # when the supervisor opens the outbox and the mail, then both are in Chinese
    for path in ("/desk/outbox/", f"/desk/outbox/{name}/0/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert (
            english_words(response.content.decode(), data=["li@example.com", *DATA, supervisor.username, name]) == []
        ), path


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_every_catalog_is_complete():
    for po in sorted(Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/*.po")):
        result = subprocess.run(
            ["msgfmt", "--statistics", "--check-format", "-o", "/dev/null", str(po)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "fuzzy" not in result.stderr and "untranslated" not in result.stderr, (po.name, result.stderr)

"""Chat robots (automation.md): WeCom, DingTalk (signed), Feishu (signed) and generic JSON, checked against a local
receiver that verifies the signatures as DingTalk's and Feishu's documentation define them, independently of the
code under test."""

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.errors import InvalidInput
from tests.factories import make_ticket
from tests.receiver import ReceivedRequest
from tickets.models import ChatChannel, ChatDelivery, WebhookStatus
from tickets.services import SYSTEM
from tickets.services.actions import actions_apply
from tickets.services.chat import chat_channel_save, chat_deliver

pytestmark = pytest.mark.django_db

SECRET = "SEC0123456789abcdef"


@pytest.fixture(autouse=True)
def _local_robots(settings, request):
    # The local receiver listens on 127.0.0.1, which production refuses (SSRF); the SSRF tests switch it back.
    settings.CHAT_ALLOW_PRIVATE_HOSTS = "ssrf" not in request.keywords


def dingtalk_signature_ok(request: ReceivedRequest, secret: str) -> bool:
    """DingTalk custom robot, "加签": timestamp (ms) and sign in the query; sign = urlencode(base64(HMAC-SHA256(key=
    secret, msg=timestamp + "\\n" + secret))); the timestamp within an hour of now."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query)
    timestamp, sign = query["timestamp"][0], query["sign"][0]  # parse_qs has URL-decoded the sign once
    if abs(time.time() * 1000 - int(timestamp)) > 3600 * 1000:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest())
    return hmac.compare_digest(sign, expected.decode())


def feishu_signature_ok(body: dict, secret: str) -> bool:
    """Feishu custom bot, "签名校验": timestamp (s) and sign in the body; sign = base64(HMAC-SHA256(key=timestamp +
    "\\n" + secret, msg="")); the timestamp within an hour of now."""
    timestamp = int(body["timestamp"])
    if abs(time.time() - timestamp) > 3600:
        return False
    expected = base64.b64encode(hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()
    return hmac.compare_digest(body["sign"], expected)


def robot(kind: str):
    """Answer as the robot does: HTTP 200 with an error code in the body when the signature is wrong."""

    def answer(request: ReceivedRequest) -> tuple[int, str]:
        if kind == "dingtalk":
            ok = dingtalk_signature_ok(request, SECRET)
            return 200, json.dumps({"errcode": 0 if ok else 310000, "errmsg": "ok" if ok else "sign not match"})
        ok = feishu_signature_ok(json.loads(request.body), SECRET)
        return 200, json.dumps({"code": 0 if ok else 19021, "msg": "success" if ok else "sign match fail"})

    return answer


def _notify(ticket, channel: str) -> None:
    actions_apply(
        ticket=ticket,
        actions=[{"type": "notify", "value": {"chat": channel}}],
        actor=SYSTEM,
        rule_name="Severe complaints",
    )


def test_dingtalk_gets_a_signed_markdown_message_in_its_language(
    storefront, team, agent, webhook_receiver, django_capture_on_commit_callbacks
):
    # given a signed DingTalk robot in Chinese
    webhook_receiver.answer = robot("dingtalk")
    chat_channel_save(
        data={
            "name": "钉钉售后群",
            "kind": "dingtalk",
            "url": webhook_receiver.url + "?access_token=tok",
            "secret": SECRET,
            "language": "zh-hans",
        }
    )
    ticket = make_ticket(storefront, subject="水壶漏水")
    # when a rule notifies it
    with django_capture_on_commit_callbacks(execute=True):
        _notify(ticket, "钉钉售后群")
    # then DingTalk got a markdown message it accepts, signed, with the ticket's link, in Chinese
    (request,) = webhook_receiver.wait_for(1)
    assert dingtalk_signature_ok(request, SECRET)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query)["access_token"] == ["tok"]
    body = request.json
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == f"Severe complaints：{ticket.reference}"
    assert "水壶漏水" in body["markdown"]["text"] and "严重程度" in body["markdown"]["text"]
    assert f"/{ticket.reference}/)" in body["markdown"]["text"]
    assert ChatDelivery.objects.get().status == WebhookStatus.DELIVERED


def test_feishu_gets_a_signed_card(storefront, team, agent, webhook_receiver, django_capture_on_commit_callbacks):
    webhook_receiver.answer = robot("feishu")
    chat_channel_save(
        data={"name": "Feishu", "kind": "feishu", "url": webhook_receiver.url, "secret": SECRET, "language": "en"}
    )
    ticket = make_ticket(storefront, subject="Kettle leaks")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(ticket, "Feishu")
    (request,) = webhook_receiver.wait_for(1)
    body = request.json
    assert feishu_signature_ok(body, SECRET)
    assert body["msg_type"] == "interactive"
    assert body["card"]["header"]["title"]["content"] == f"Severe complaints: {ticket.reference}"
    assert "Kettle leaks" in body["card"]["elements"][0]["text"]["content"]
    assert body["card"]["elements"][1]["actions"][0]["url"].endswith(f"/{ticket.reference}/")
    assert ChatDelivery.objects.get().status == WebhookStatus.DELIVERED


def test_wecom_and_generic_formats(storefront, team, agent, webhook_receiver, django_capture_on_commit_callbacks):
    chat_channel_save(data={"name": "WeCom", "kind": "wecom", "url": webhook_receiver.url + "?key=k", "language": "en"})
    chat_channel_save(data={"name": "Any", "kind": "generic", "url": webhook_receiver.url, "language": "en"})
    ticket = make_ticket(storefront, subject="Kettle leaks")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(ticket, "WeCom")
        _notify(ticket, "Any")
    wecom, generic = (request.json for request in webhook_receiver.wait_for(2))
    assert wecom["msgtype"] == "markdown"
    assert wecom["markdown"]["content"].startswith(f"**Severe complaints: {ticket.reference}**\n")
    assert generic["title"] == f"Severe complaints: {ticket.reference}" and "Kettle leaks" in generic["text"]
    assert generic["link"].endswith(f"/{ticket.reference}/")


def test_a_refused_message_is_retried_and_logged(
    storefront, team, agent, webhook_receiver, django_capture_on_commit_callbacks
):
    # given a DingTalk robot whose secret does not match ours
    webhook_receiver.answer = robot("dingtalk")
    chat_channel_save(
        data={"name": "Wrong", "kind": "dingtalk", "url": webhook_receiver.url, "secret": "other", "language": "en"}
    )
    ticket = make_ticket(storefront)
    # when a message goes out, then the refusal in the 200's body is logged and the delivery stays due for a retry
    with django_capture_on_commit_callbacks(execute=True):
        _notify(ticket, "Wrong")
    delivery = ChatDelivery.objects.get()
    assert delivery.status == WebhookStatus.PENDING and delivery.attempts == 1
    assert delivery.last_error == "refused by the robot: error code 310000"  # the code, not the robot's text
    # and once fixed, the retry goes through; a second run of the task sends nothing more
    ChatChannel.objects.filter(pk=delivery.channel_id).update(secret=SECRET)
    later = timezone.now() + timedelta(minutes=5)
    assert chat_deliver(delivery_id=delivery.pk, now=later) == WebhookStatus.DELIVERED
    assert chat_deliver(delivery_id=delivery.pk, now=later) == "skipped"
    assert len(webhook_receiver.requests) == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"url": "not a url"}, "url"),
        ({"url": "ftp://robot.example.com/x"}, "url"),
        ({"url": "https:///nohost"}, "url"),
        ({"kind": "telegram"}, "kind"),
        ({"language": "fr"}, "language"),
        ({"name": ""}, "name"),
    ],
)
def test_a_malformed_chat_channel_is_refused_naming_the_field(db, data, field):
    good = {"name": "Room", "kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x"}
    with pytest.raises(InvalidInput) as raised:
        chat_channel_save(data={**good, **data})
    assert list(raised.value.errors) == [field]
    assert not ChatChannel.objects.exists()


@pytest.mark.ssrf
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/robot",
        "http://localhost/robot",
        "http://10.1.2.3/robot",
        "http://192.168.1.1/robot",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/robot",
        "http://[::ffff:127.0.0.1]/robot",
        "http://2130706433/robot",
    ],
)
def test_a_robot_on_a_local_or_private_address_is_refused(db, url):
    with pytest.raises(InvalidInput) as raised:
        chat_channel_save(data={"name": "Inside", "kind": "generic", "url": url})
    assert list(raised.value.errors) == ["url"]


@pytest.mark.ssrf
def test_a_robot_whose_address_is_private_at_send_time_gets_nothing(
    storefront, team, agent, webhook_receiver, django_capture_on_commit_callbacks
):
    # given a channel that points inside (saved before the rule, or a name that now resolves inside)
    ChatChannel.objects.create(name="Inside", kind="generic", url=webhook_receiver.url, language="en")
    ticket = make_ticket(storefront)
    with django_capture_on_commit_callbacks(execute=True):
        _notify(ticket, "Inside")
    delivery = ChatDelivery.objects.get()
    assert delivery.status == WebhookStatus.FAILED and delivery.last_error == "refused: local or private address"
    assert webhook_receiver.requests == []


def test_customer_text_cannot_add_links_mentions_or_markup(
    storefront, team, agent, webhook_receiver, django_capture_on_commit_callbacks
):
    chat_channel_save(data={"name": "WeCom", "kind": "wecom", "url": webhook_receiver.url, "language": "en"})
    chat_channel_save(data={"name": "Feishu", "kind": "feishu", "url": webhook_receiver.url, "language": "en"})
    ticket = make_ticket(storefront, subject="[Refund here](http://evil.example) <at id=all></at> **now**")
    with django_capture_on_commit_callbacks(execute=True):
        _notify(ticket, "WeCom")
        _notify(ticket, "Feishu")
    wecom, feishu = (request.json for request in webhook_receiver.wait_for(2))
    for text in (wecom["markdown"]["content"], feishu["card"]["elements"][0]["text"]["content"]):
        assert "](http://evil" not in text and "<at" not in text and "**now" not in text
        assert "Refund here" in text
    # the link to the ticket is still a link
    assert f"/{ticket.reference}/)" in wecom["markdown"]["content"]


def test_chat_retries_and_time_rules_are_on_the_beat(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"tickets.tasks.dispatch_due_chat_messages", "tickets.tasks.run_time_rules"} <= tasks

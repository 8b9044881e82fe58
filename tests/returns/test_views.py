"""The desk for returns: the panel on the return's ticket page, its actions per role, the two queues."""

import pytest
from django.contrib.messages import get_messages

from returns import services
from returns.models import Refund, RefundStatus, ReturnStatus
from tests.factories import make_staff
from tests.returns.conftest import make_return

pytestmark = pytest.mark.django_db


def _page(client, return_request):
    return client.get(f"/desk/tickets/{return_request.ticket.reference}/")


def _reload(return_request):
    return type(return_request).objects.get(pk=return_request.pk)


@pytest.fixture
def finance_desk(client, finance_user):
    client.force_login(finance_user)
    return client


def test_the_ticket_page_shows_the_return_with_its_decision_and_the_agents_actions(agent_desk, storefront):
    return_request = make_return(storefront, reason="changed_mind", unused=False)
    response = _page(agent_desk, return_request)
    assert response.status_code == 200
    html = response.content.decode()
    assert return_request.reference in html
    assert "Electric kettle" in html
    assert "no_reason_item_used" in html
    assert f"/desk/returns/{return_request.reference}/approve/" in html
    assert f"/desk/returns/{return_request.reference}/reject/" in html


def test_an_agent_approves_from_the_panel_and_a_refused_action_comes_back_as_a_message(agent_desk, storefront):
    return_request = make_return(storefront, reason="changed_mind", unused=False)
    response = agent_desk.post(f"/desk/returns/{return_request.reference}/approve/", {"approve-reason": ""})
    assert response.status_code == 302
    assert response["Location"] == f"/desk/tickets/{return_request.ticket.reference}/"
    assert _reload(return_request).status == ReturnStatus.APPROVED
    refused = agent_desk.post(f"/desk/returns/{return_request.reference}/receive/", follow=True)
    assert refused.status_code == 200
    assert any("cannot move" in str(m) for m in get_messages(refused.wsgi_request))
    assert _reload(return_request).status == ReturnStatus.APPROVED


def test_a_rejection_without_a_reason_is_refused_on_the_page(agent_desk, storefront):
    return_request = make_return(storefront, reason="changed_mind", unused=False)
    response = agent_desk.post(f"/desk/returns/{return_request.reference}/reject/", {"reject-reason": ""}, follow=True)
    assert any("rejection" in str(m) for m in get_messages(response.wsgi_request))
    assert _reload(return_request).status == ReturnStatus.REQUESTED


def test_finance_issues_and_settles_from_the_refunds_queue(finance_desk, storefront, agent):
    return_request = make_return(storefront)
    services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
    services.return_receive(return_request=return_request, user=agent)
    services.return_inspect(return_request=return_request, user=agent, passed=True)
    refund = Refund.objects.get()

    queue = finance_desk.get("/desk/refunds/")
    assert queue.status_code == 200
    assert refund.reference in queue.content.decode()
    finance_desk.post(f"/desk/refunds/{refund.public_id}/issue/", {"next": "/desk/refunds/"})
    assert Refund.objects.get().status == RefundStatus.PROCESSING
    finance_desk.post(
        f"/desk/refunds/{refund.public_id}/settle/", {"settle-status": "succeeded", "settle-transaction_id": "B-1"}
    )
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    assert _reload(return_request).status == ReturnStatus.COMPLETED


def test_an_agent_cannot_issue_a_refund_and_finance_cannot_approve(client, agent, finance_user, storefront):
    return_request = make_return(storefront, reason="changed_mind", unused=False)
    client.force_login(finance_user)
    client.post(f"/desk/returns/{return_request.reference}/approve/", {"approve-reason": ""})
    assert _reload(return_request).status == ReturnStatus.REQUESTED
    assert client.get("/desk/returns/").status_code == 200
    client.force_login(agent)
    assert client.get("/desk/refunds/").status_code == 403


def test_the_returns_queue_lists_open_returns_oldest_first_in_few_queries(
    agent_desk, storefront, django_assert_max_num_queries
):
    first = make_return(storefront, order_id="SO-1", day=1)
    second = make_return(storefront, order_id="SO-2", day=2)
    make_return(storefront, order_id="SO-3", reason="changed_mind", unused=True, day=9)  # rejected: not open
    with django_assert_max_num_queries(12):
        html = agent_desk.get("/desk/returns/").content.decode()
    assert html.index(first.reference) < html.index(second.reference)
    assert "R-" in html and html.count("SO-3") == 0
    assert "SO-3" in agent_desk.get("/desk/returns/", {"status": "rejected"}).content.decode()


def test_an_agent_of_another_team_gets_404_on_the_actions(client, storefront, other_team):
    outsider = make_staff("outsider", "agent", teams=(other_team,))
    return_request = make_return(storefront, reason="changed_mind", unused=False)
    client.force_login(outsider)
    assert client.post(f"/desk/returns/{return_request.reference}/approve/").status_code == 404
    assert _reload(return_request).status == ReturnStatus.REQUESTED


def test_customer_text_is_escaped_in_the_panel(agent_desk, storefront):
    from returns.models import ReturnRequest

    return_request = make_return(storefront)
    ReturnRequest.objects.filter(pk=return_request.pk).update(description="<script>alert(1)</script>")
    html = _page(agent_desk, return_request).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_the_admin_edits_policies_and_shows_returns_read_only(client, storefront, agent):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("root", "root@example.com", "pass-1234")
    return_request = make_return(storefront)
    client.force_login(admin_user)
    assert client.get("/admin/returns/returnpolicy/add/").status_code == 200
    page = client.get(f"/admin/returns/returnrequest/{return_request.pk}/change/")
    assert page.status_code == 200
    assert return_request.reference in page.content.decode()
    assert client.get("/admin/returns/returnrequest/add/").status_code == 403
    assert client.get(f"/admin/returns/order/{return_request.order_id}/change/").status_code == 200
    for listing in ("order", "returnrequest", "refund", "returnpolicy"):
        assert client.get(f"/admin/returns/{listing}/").status_code == 200
    client.post(f"/admin/returns/returnrequest/{return_request.pk}/change/", {"status": "completed"})
    assert _reload(return_request).status == ReturnStatus.APPROVED


def test_the_refund_action_shows_only_while_something_is_left_to_refund(agent_desk, storefront, agent, finance_user):
    return_request = make_return(storefront)
    services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
    services.return_receive(return_request=return_request, user=agent)
    services.return_inspect(return_request=return_request, user=agent, passed=True)
    refund_action = f"/desk/returns/{return_request.reference}/refund/"
    assert refund_action not in _page(agent_desk, return_request).content.decode()  # all 199.00 is pending
    refund = Refund.objects.get()
    services.refund_issue(refund=refund, user=finance_user)
    services.refund_settle(refund=refund, status="failed", failure_reason="Card closed.", user=finance_user)
    html = _page(agent_desk, return_request).content.decode()
    assert refund_action in html
    agent_desk.post(refund_action, {"refund-amount": "199.00", "refund-reason": ""})
    assert Refund.objects.filter(status=RefundStatus.PENDING).count() == 1


def test_the_refunds_queue_shows_the_oldest_due_first_and_marks_overdue_ones(
    finance_desk, storefront, agent, django_assert_max_num_queries
):
    from datetime import timedelta

    from django.utils import timezone

    for order_id in ("SO-1", "SO-2", "SO-3"):
        return_request = make_return(storefront, order_id=order_id)
        services.return_ship(return_request=return_request, storefront=storefront, carrier="SF", tracking_number="1")
        services.return_receive(return_request=return_request, user=agent)
        services.return_inspect(return_request=return_request, user=agent, passed=True)
    first, second, third = Refund.objects.order_by("id")
    Refund.objects.filter(pk=second.pk).update(due_at=timezone.now() - timedelta(hours=1))
    with django_assert_max_num_queries(10):
        html = finance_desk.get("/desk/refunds/").content.decode()
    assert html.index(second.reference) < html.index(first.reference) < html.index(third.reference)
    assert html.count(">overdue<") == 1


def test_the_navigation_offers_returns_to_agents_and_refunds_to_finance(client, agent, finance_user):
    client.force_login(agent)
    html = client.get("/desk/").content.decode()
    assert 'href="/desk/returns/"' in html and 'href="/desk/refunds/"' not in html
    client.force_login(finance_user)
    html = client.get("/desk/returns/").content.decode()
    assert 'href="/desk/refunds/"' in html


def test_the_panel_renders_in_chinese(agent_desk, agent, storefront):
    from tickets import services as ticket_services

    ticket_services.staff_set_preferences(user=agent, language="zh-hans", time_zone="Asia/Shanghai")
    storefront.language = "zh-hans"
    storefront.save()
    return_request = make_return(storefront, reason="changed_mind", unused=False)
    response = _page(agent_desk, return_request)
    assert response.status_code == 200
    html = response.content.decode()
    assert return_request.reference in html
    assert return_request.decision_explanation in html and "客服" in html  # the customer's sentence, in Chinese

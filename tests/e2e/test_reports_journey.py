"""A customer answers the survey of their resolved ticket on a phone; the supervisor watching /reports/ sees
satisfaction go from nothing to 100 %, switches the desk to Chinese and downloads a table as CSV."""

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from alerts.models import Comparison, Kpi, KpiPeriod, KpiThreshold
from tests.e2e.conftest import TIMEOUT_MS, login
from tests.factories import STAFF_PASSWORD, CustomerFactory, make_staff, make_ticket
from tickets import services
from tickets.models import Status, Survey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = STAFF_PASSWORD  # what tests.factories.make_staff gives every staff user


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True, locale="en-US", timezone_id="UTC"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def test_a_survey_answered_on_a_phone_shows_on_the_supervisors_report_in_chinese_and_in_its_csv(
    page: Page, phone: Page, live_server, settings, storefront, team
):
    # given: a customer's ticket an agent is working on, and a supervisor reading the reports
    settings.SITE_URL = live_server.url  # the survey e-mail's link points at this server
    # the default satisfaction line of analytics.md (seeded by a migration; written here so the test owns its data)
    KpiThreshold.objects.update_or_create(
        kpi=Kpi.SATISFACTION,
        storefront=None,
        team=None,
        defaults={
            "comparison": Comparison.AT_LEAST,
            "value": Decimal("90"),
            "period": KpiPeriod.WEEK,
            "is_active": True,
        },
    )
    agent = make_staff("report-agent", "agent", teams=(team,))
    make_staff("report-supervisor", "supervisor", teams=(team,))
    customer = CustomerFactory(storefront=storefront, name="Mei", email="mei@example.com")
    ticket = make_ticket(storefront, customer=customer, subject="Kettle leaks", now=timezone.now() - timedelta(hours=2))

    login(page, live_server, "report-supervisor", PASSWORD)
    page.get_by_role("link", name="Reports").click()
    page.wait_for_url(re.compile(r".*/reports/$"))
    expect(page.locator("html")).to_have_attribute("data-charts-drawn", "true")
    satisfaction = page.locator('.kpi-card[data-kpi="satisfaction"]')
    expect(satisfaction.locator(".kpi-value")).to_have_text("—")
    expect(satisfaction).to_contain_text("≥ 90 %")

    # when: the agent resolves the ticket, and the customer opens the survey link of the e-mail on their phone
    services.ticket_change_status(ticket=ticket, status=Status.RESOLVED, user=agent)
    survey_mail = next(message for message in mail.outbox if message.to == ["mei@example.com"])
    link = re.search(r"http://\S+/s/\S+/", survey_mail.body).group(0)
    phone.goto(link)
    expect(phone.get_by_role("heading", name="How did we do?")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.get_by_role("group", name="Overall satisfaction").locator("label.score", has_text="5").tap()
    phone.get_by_role("button", name="Send my answers").tap()
    expect(phone.get_by_role("heading", name="Thank you!")).to_be_visible()
    assert Survey.objects.get(ticket=ticket).overall == 5

    # then: the supervisor's report shows satisfaction at 100 %, green against its line
    page.reload()
    expect(satisfaction.locator(".kpi-value")).to_have_text("100 %")
    expect(satisfaction).to_have_class(re.compile(r"\bkpi-ok\b"))
    resolved_today = page.locator('table[data-table="daily"] tbody tr').last
    expect(resolved_today.locator("td").nth(1)).to_have_text("1")

    # when: they switch the desk to Chinese
    page.locator("#header-language").select_option("zh-hans")

    # then: the same report, in Chinese
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.wait_for_url(re.compile(r".*/reports/$"))
    expect(page.get_by_label("团队")).to_contain_text("全部团队")
    expect(page.get_by_text("SLA 达成率").first).to_be_visible()
    expect(satisfaction.locator(".kpi-value")).to_have_text("100 %")

    # and the CSV of the category table downloads with its header in Chinese and the resolved ticket counted
    with page.expect_download() as download_info:
        page.locator('#section-by_category a[href*="/reports/by_category.csv"]').click()
    download = download_info.value
    assert re.fullmatch(r"report-by_category-\d{8}-\d{8}\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8") as handle:
        content = handle.read()
    assert content.startswith("\ufeff")
    lines = content.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("分类,已创建,已解决,")
    assert "其他,1,1,100.0," in lines

"""Real browser: the demo committee's bell shows the demo reminders, the inbox lists them and marks
them read; the committee opens last quarter's report and downloads the workbook; the secretary's
bell shows theirs on a phone."""

import pytest
from selenium.webdriver.common.by import By

from notifications.models import Channel, Delivery

from .test_demo_logins import PASSWORD, assert_no_horizontal_overflow, find, submit_login, wait

pytestmark = pytest.mark.browser

FETCH = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: 'same-origin'}).then(async r => {
  const body = new Uint8Array(await r.arrayBuffer());
  done([r.status, r.headers.get('content-type'), r.headers.get('content-disposition'), body[0], body[1]]);
});
"""


def bell_count(driver):
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=bell-count]"))
    return int(driver.find_element(By.CSS_SELECTOR, "[data-testid=bell-count]").text)


def test_committee_bell_inbox_and_quarterly_report_download(browser, demo):
    from django.contrib.auth import get_user_model

    committee = get_user_model().objects.get(username="committee")
    unread = Delivery.objects.filter(recipient=committee, channel=Channel.IN_APP, status="sent", read_at=None)
    expected = unread.count()
    assert expected > 0
    submit_login(browser, demo, "committee", PASSWORD)
    assert bell_count(browser) == expected
    browser.find_element(By.CSS_SELECTOR, "[data-testid=bell]").click()
    wait(browser).until(lambda d: "/notifications/" in d.current_url)
    listing = find(browser, "[data-testid=notifications]").text
    for title in unread.values_list("title", flat=True):
        assert title in listing
    assert "季度合规报告已生成" in listing
    # The report-ready notification leads to the report; the download is the workbook.
    browser.find_element(By.PARTIAL_LINK_TEXT, "季度合规报告已生成").click()
    wait(browser).until(lambda d: "/compliance/reports/" in d.current_url)
    link = find(browser, "[data-testid=report-download]")
    status, content_type, disposition, b0, b1 = browser.execute_async_script(
        FETCH, link.get_attribute("href")
    )
    assert status == 200 and "spreadsheetml" in content_type and ".xlsx" in disposition
    assert (b0, b1) == (0x50, 0x4B)  # a zip (xlsx) file
    # Opening it marked that one notification read.
    browser.get(f"{demo}/")
    assert bell_count(browser) == expected - 1
    browser.get(f"{demo}/notifications/")
    find(browser, "[data-testid=mark-all-read]").click()
    wait(browser).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-testid=bell-count]"))
    browser.get(f"{demo}/compliance/reports/")
    assert find(browser, "[data-testid=report-row]")


def test_secretary_bell_on_a_phone(browser, demo):
    browser.set_window_size(390, 1000)
    submit_login(browser, demo, "secretary", PASSWORD)
    browser.get(f"{demo}/notifications/")
    assert find(browser, "[data-testid=notifications]").find_elements(
        By.CSS_SELECTOR, ".list-group-item-warning"
    )
    assert_no_horizontal_overflow(browser)

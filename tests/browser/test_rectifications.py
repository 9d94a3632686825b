"""Real browser: the committee issues a ledger with an item for a branch; the branch secretary
claims it, reports progress and asks for close-out; the committee verifies and the item shows
已销号 (issue 6's acceptance path). The pages fit a phone."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from branches.models import Organization
from rectifications.models import Item

from .test_demo_logins import PASSWORD, assert_no_horizontal_overflow, find, submit_login, wait
from .test_member_development import set_value, submit

pytestmark = pytest.mark.browser


def click_settled(browser, css):
    """Click a search result; each keystroke's htmx response may replace the results list between
    finding the element and clicking it, so a stale element is looked up again."""

    def attempt(driver):
        driver.find_element(By.CSS_SELECTOR, css).click()
        return True

    WebDriverWait(
        browser, 10, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)
    ).until(attempt)


def test_committee_issues_secretary_works_committee_closes(browser, demo):
    today = timezone.localdate()
    root = Organization.objects.get(code="DEMO-JG")
    branch = Organization.objects.get(code="DEMO-B1")

    submit_login(browser, demo, "committee", PASSWORD)
    browser.get(demo + "/rectifications/")
    find(browser, "[data-testid=ledger-create]").click()
    Select(browser.find_element(By.NAME, "issuer")).select_by_value(str(root.pk))
    Select(browser.find_element(By.NAME, "source")).select_by_value("unannounced_visit")
    find(browser, "input[name=title]").send_keys("明察暗访发现问题整改台账")
    set_value(browser, "issued_on", today.isoformat())
    set_value(browser, "deadline", (today + datetime.timedelta(days=60)).isoformat())
    submit(browser, "save")
    assert find(browser, "[data-testid=ledger-title]").text == "明察暗访发现问题整改台账"

    find(browser, "[data-testid=item-create]").click()
    find(browser, "input[name=category]").send_keys("作风建设")
    find(browser, "textarea[name=problem]").send_keys("值班期间脱岗")
    find(browser, "textarea[name=measures]").send_keys("完善值班制度\n每周抽查值班情况")
    # 责任单位: type-ahead by 组织代码, the match becomes a chip; the people pickers then search
    # among that branch's members.
    find(browser, "#id_units").send_keys(branch.code)
    click_settled(browser, f"#id_units-results input[value='{branch.pk}']")
    assert branch.name in find(browser, "#id_units-picker [data-picker-chip]").text
    assert browser.find_element(By.CSS_SELECTOR, "#id_units-picker [data-picker-chip] input").get_attribute(
        "value"
    ) == str(branch.pk)
    assert not browser.find_elements(By.CSS_SELECTOR, "#id_units-results input")
    lead = get_user_model().objects.get(username="secretary").member
    wait(browser).until(lambda d: d.find_element(By.ID, "id_lead_person").get_attribute("hx-include"))
    find(browser, "#id_lead_person").send_keys(lead.name)
    click_settled(browser, f"#id_lead_person-results input[value='{lead.pk}']")
    chip = find(browser, "#id_lead_person-picker [data-picker-chip]")
    assert lead.name in chip.text
    assert_no_horizontal_overflow(browser)
    browser.set_window_size(1366, 1000)
    submit(browser, "save")
    row = find(browser, "[data-testid=item-row] a")
    assert row.text == "值班期间脱岗"
    made = Item.objects.get(problem="值班期间脱岗")
    assert list(made.units.all()) == [branch] and made.lead_person == lead
    item_url = row.get_attribute("href")

    browser.delete_all_cookies()
    submit_login(browser, demo, "secretary", PASSWORD)
    browser.get(item_url)
    assert find(browser, "[data-testid=item-status]").text == "待认领"
    submit(browser, "claim")
    assert find(browser, "[data-testid=item-status]").text == "已认领"
    find(browser, "[data-testid=progress-form] textarea[name=text]").send_keys("已修订值班制度并公示")
    submit(browser, "progress-submit")
    assert find(browser, "[data-testid=item-status]").text == "整改中"
    assert "已修订值班制度并公示" in find(browser, "[data-testid=timeline]").text
    submit(browser, "request-closeout")
    assert find(browser, "[data-testid=item-status]").text == "申请销号"
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=verify]")  # never their own
    assert_no_horizontal_overflow(browser)

    browser.delete_all_cookies()
    browser.set_window_size(1366, 1000)
    submit_login(browser, demo, "committee", PASSWORD)
    browser.get(item_url)
    submit(browser, "verify")
    assert find(browser, "[data-testid=item-status]").text == "已销号"
    timeline = find(browser, "[data-testid=timeline]").text
    for step in ("下达", "认领", "报送推进情况", "申请销号", "验收销号"):
        assert step in timeline

"""Real browser: the secretary adds a person, records the application and the talk, and sees the
next step with its due date (issue 3's acceptance path)."""

import datetime

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from members.models import Member

from .test_demo_logins import PASSWORD, assert_no_horizontal_overflow, find, submit_login, wait

pytestmark = pytest.mark.browser


def set_value(driver, name, value):
    """Date inputs take typed text in the browser's locale; set the ISO value directly instead."""
    field = driver.find_element(By.NAME, name)
    driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'));", field, value
    )


def submit(driver, testid):
    driver.execute_script("window.__paOldPage = true;")
    button = driver.find_element(By.CSS_SELECTOR, f"[data-testid={testid}]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", button)
    button.click()
    wait(driver).until(
        lambda d: d.execute_script("return !window.__paOldPage && document.readyState === 'complete';")
    )


def test_secretary_adds_an_applicant_records_application_and_talk(browser, demo):
    today = timezone.localdate()
    applied = today - datetime.timedelta(days=10)
    submit_login(browser, demo, "secretary", PASSWORD)

    browser.get(demo + "/members/")
    find(browser, "[data-testid=add-member]").click()
    find(browser, "input[name=name]").send_keys("测试申请人")
    Select(browser.find_element(By.NAME, "status")).select_by_value("applicant")
    Select(browser.find_element(By.NAME, "gender")).select_by_value("female")
    set_value(browser, "birth_date", "1999-04-02")
    submit(browser, "save")

    assert find(browser, "[data-testid=member-name]").text == "测试申请人"
    assert "第1步：递交入党申请书" in find(browser, "[data-testid=next-step]").text

    find(browser, "[data-testid=record-step]").click()
    assert "递交入党申请书" in find(browser, "[data-testid=step-title]").text
    set_value(browser, "done_on", applied.isoformat())
    submit(browser, "save-step")

    next_step = find(browser, "[data-testid=next-step]").text
    assert "第2步：党组织派人谈话" in next_step
    due = applied + datetime.timedelta(days=30)
    assert find(browser, "[data-testid=next-due]").text == due.isoformat()
    assert "还有20天" in next_step

    find(browser, "[data-testid=record-step]").click()
    assert "党组织派人谈话" in find(browser, "[data-testid=step-title]").text
    set_value(browser, "done_on", today.isoformat())
    submit(browser, "save-step")

    assert "第3步：推荐和确定入党积极分子" in find(browser, "[data-testid=next-step]").text
    person = Member.objects.get(name="测试申请人")
    assert list(person.development_steps.values_list("step_no", flat=True)) == [1, 2]
    assert person.applied_on == applied and person.next_step_no == 3

    # The same page on a phone: no sideways scrolling.
    assert_no_horizontal_overflow(browser)
    assert find(browser, "[data-testid=member-name]").text == "测试申请人"

    # And the person is on the branch's development page.
    browser.get(demo + "/members/development/")
    assert "测试申请人" in find(browser, "[data-testid=upcoming]").text

"""Real browser: the committee opens its compliance table, drills down to a branch, and the
branch's 主题党日 for this month turns to met once a meeting's minutes are locked."""

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from branches.models import Organization
from meetings.models import Meeting

from .test_demo_logins import BRANCH_NAME, PASSWORD, assert_no_horizontal_overflow, find, submit_login, wait

pytestmark = pytest.mark.browser


def status_of(driver, code):
    return driver.find_element(
        By.CSS_SELECTOR, f"[data-testid=rule-{code}] .card-header .pa-st"
    ).get_attribute("data-status")


def test_committee_drills_down_and_a_locked_meeting_meets_the_rule(browser, demo):
    today = timezone.localdate()
    branch = Organization.objects.get(name=BRANCH_NAME)
    # Whatever the demo holds this month, start from unsigned minutes: nothing counts yet.
    Meeting.objects.filter(organization=branch, held_on__gte=today.replace(day=1)).update(locked_at=None)
    submit_login(browser, demo, "committee", PASSWORD)
    month = today.strftime("%Y-%m")
    browser.get(f"{demo}/compliance/?period={month}")
    grid = find(browser, "[data-testid=compliance-grid]")
    assert BRANCH_NAME in grid.text
    assert_no_horizontal_overflow(browser)
    browser.set_window_size(1366, 1000)
    link = browser.find_element(By.LINK_TEXT, BRANCH_NAME)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
    link.click()
    wait(browser).until(lambda d: "/compliance/branch/" in d.current_url)
    assert find(browser, "[data-testid=rule-themed_day]")
    assert status_of(browser, "themed_day") == "open"

    now = timezone.now()
    meeting = Meeting.objects.create(
        organization=branch,
        kind="themed_day",
        topic="主题党日：重温入党誓词",
        held_on=today,
        status="held",
        minutes_state="locked",
        locked_at=now,
    )
    browser.refresh()
    wait(browser).until(lambda d: status_of(d, "themed_day") == "met")
    links = [
        a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "[data-testid=meeting-link]")
    ]
    assert any(href.endswith(f"/meetings/{meeting.pk}/") for href in links)
    assert_no_horizontal_overflow(browser)

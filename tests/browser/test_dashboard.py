"""Real browser: the committee logs in and lands on its 党建驾驶舱 with the charts drawn, then clicks
the red branch's missed rule and arrives at the branch's compliance page, where that rule is
listed as missing for the month."""

import datetime

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from branches.models import Organization
from compliance.periods import MONTH, containing
from dashboards import rollups
from meetings.models import Meeting

from .test_demo_logins import BRANCH_NAME, PASSWORD, assert_no_horizontal_overflow, find, submit_login, wait

pytestmark = pytest.mark.browser


def test_committee_sees_charts_and_drills_to_the_missing_meeting(browser, demo):
    today = timezone.localdate()
    last_month = containing(MONTH, today.replace(day=1) - datetime.timedelta(days=1))
    branch = Organization.objects.get(name=BRANCH_NAME)
    # Last month's 主题党日 of the branch never had its minutes locked: the rule is missing.
    Meeting.objects.filter(
        organization=branch, held_on__gte=last_month.start, held_on__lte=last_month.end
    ).update(locked_at=None, also_themed_day=False)
    rollups.rebuild(rollups.periods_of(last_month.start))

    submit_login(browser, demo, "committee", PASSWORD)
    wait(browser).until(lambda d: "/dashboard/" in d.current_url)
    browser.get(f"{browser.current_url.split('&')[0]}&period={last_month.code}")
    for chart in ("trend", "heat", "collection", "funnel"):
        wait(browser).until(
            lambda d, chart=chart: d.find_elements(By.CSS_SELECTOR, f"[data-testid=chart-{chart}] svg")
        )
    assert find(browser, "[data-testid=ranking]")
    assert_no_horizontal_overflow(browser)
    browser.set_window_size(1366, 1000)

    # Drill down level by level (clicking the organisation's name) until the branch is a row.
    while not (
        rows := browser.find_elements(By.CSS_SELECTOR, f"[data-testid=ranking] tr[data-org='{branch.pk}']")
    ):
        ids = [
            int(r.get_attribute("data-org"))
            for r in browser.find_elements(By.CSS_SELECTOR, "[data-testid=ranking] tr[data-org]")
        ]
        (step,) = [o for o in Organization.objects.filter(pk__in=ids) if branch.path.startswith(o.path)]
        drill = browser.find_element(
            By.CSS_SELECTOR, f"[data-testid=ranking] tr[data-org='{step.pk}'] [data-testid=drill]"
        )
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", drill)
        browser.execute_script("arguments[0].click();", drill)  # past any chart tooltip
        wait(browser).until(lambda d, step=step: f"org={step.pk}" in d.current_url)
    row = rows[0]
    assert row.get_attribute("data-rag") == "red"
    link = row.find_element(By.CSS_SELECTOR, "[data-testid=reason-rule][href*='#rule-themed_day']")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
    browser.execute_script("arguments[0].click();", link)
    wait(browser).until(lambda d: f"/compliance/branch/{branch.pk}/" in d.current_url)
    status = find(browser, "[data-testid=rule-themed_day] .card-header .pa-st").get_attribute("data-status")
    assert status == "missing"

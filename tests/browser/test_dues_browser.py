"""Real browser: the demo member sees 我的党费 with the monthly amount and three months in arrears;
the demo secretary records a payment from the collection grid in two clicks (htmx modal); the
member's page then shows nothing owed and the new receipt."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from dues.models import DuesBase
from members.models import Member

from .test_demo_logins import PASSWORD, find, submit_login, wait

pytestmark = pytest.mark.browser


def text(driver, css):
    return find(driver, css).text.strip()


def test_member_sees_dues_and_a_recorded_payment_updates_it(browser, demo):
    member = Member.objects.get(user__username="member")
    base = DuesBase.objects.filter(member=member).order_by("-year").first()

    submit_login(browser, demo, "member", PASSWORD)
    browser.get(demo + "/accounts/me/")
    find(browser, "[data-testid=me-dues]").click()
    wait(browser).until(EC.url_contains("/dues/mine/"))
    assert text(browser, "[data-testid=mine-monthly]") == f"¥{base.monthly_amount}"
    assert text(browser, "[data-testid=mine-arrears]") == "3个月"
    due_now = text(browser, "[data-testid=mine-due-now]")

    browser.delete_all_cookies()
    submit_login(browser, demo, "secretary", PASSWORD)
    browser.get(f"{demo}/dues/branch/{member.branch_id}/")
    find(browser, f"[data-testid=pay-{member.pk}]").click()  # click 1: the modal opens with the amount owed
    amount = find(browser, "#pa-modal-content input[name=amount]")
    wait(browser).until(lambda d: amount.get_attribute("value") == due_now.lstrip("¥"))
    find(browser, "[data-testid=pay-submit]").click()  # click 2: recorded
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".alert-success")))
    assert "收据编号" in browser.find_element(By.CSS_SELECTOR, ".alert-success").text

    browser.delete_all_cookies()
    submit_login(browser, demo, "member", PASSWORD)
    browser.get(demo + "/dues/mine/")
    assert text(browser, "[data-testid=mine-arrears]") == "无"
    assert text(browser, "[data-testid=mine-due-now]") == "¥0.00"
    assert due_now.lstrip("¥") in browser.find_element(By.CSS_SELECTOR, "[data-testid=mine-payments]").text

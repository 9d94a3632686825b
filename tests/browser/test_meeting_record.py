"""Real browser, at phone width: the secretary records a 支委会 after the fact, fills attendance on
the grid while the quorum panel updates live (htmx, the same rule as the service), saves; the
recorder (the demo member) signs, then the secretary signs and the minutes lock — and the branch's
支委会 rule for the month turns from open to met on its compliance page (issue 4's acceptance path)."""

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from branches.models import Organization
from meetings.models import Meeting, MeetingKind, MinutesState
from members.models import Member

from .test_demo_logins import (
    BRANCH_NAME,
    PASSWORD,
    PHONE,
    assert_no_horizontal_overflow,
    find,
    submit_login,
    wait,
)
from .test_member_development import set_value, submit

pytestmark = pytest.mark.browser


def committee_rule_status(driver):
    return driver.execute_script(
        "return document.querySelector('[data-testid=rule-committee_meeting] .card-header .pa-st').dataset.status;"
    )


def test_secretary_records_a_committee_meeting_and_both_sign(browser, demo):
    today = timezone.localdate()
    month = today.strftime("%Y-%m")
    branch = Organization.objects.get(name=BRANCH_NAME)
    # Whatever the demo holds this month, no 支委会 of this month counts yet.
    Meeting.objects.filter(
        organization=branch, kind=MeetingKind.COMMITTEE_MEETING, held_on__gte=today.replace(day=1)
    ).delete()
    recorder = Member.objects.get(user__username="member")
    browser.set_window_size(*PHONE)
    submit_login(browser, demo, "secretary", PASSWORD)
    compliance_page = f"{demo}/compliance/branch/{branch.pk}/?period={month}"
    browser.get(compliance_page)
    assert committee_rule_status(browser) == "open"

    browser.get(demo + "/meetings/")
    find(browser, "[data-testid=record-meeting]").click()
    Select(find(browser, "select[name=kind]")).select_by_value("committee_meeting")
    find(browser, "input[name=topic]").send_keys("浏览器测试支委会")
    set_value(browser, "held_on", today.isoformat())
    host = Member.objects.get(user__username="secretary")
    Select(browser.find_element(By.NAME, "host")).select_by_value(str(host.pk))
    Select(browser.find_element(By.NAME, "recorder")).select_by_value(str(recorder.pk))
    browser.find_element(By.CSS_SELECTOR, "[data-testid=minutes]").send_keys("研究本月工作。")
    submit(browser, "record-save")

    # The expected list is the committee on that day; nobody marked present yet: not quorate.
    assert find(browser, "[data-testid=quorum]").get_attribute("data-quorate") == "no"
    assert_no_horizontal_overflow(browser)
    button = find(browser, "[data-testid=attendance-all-present]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", button)
    button.click()
    # The panel is swapped in by htmx: read it in one script call (no handle to go stale).
    wait(browser).until(
        lambda d: (
            d.execute_script("return document.querySelector('[data-testid=quorum]').dataset.quorate;")
            == "yes"
        )
    )
    meeting = Meeting.objects.get(topic="浏览器测试支委会")
    assert meeting.is_quorate is False  # the live panel saved nothing
    submit(browser, "record-save")
    meeting.refresh_from_db()
    assert meeting.is_quorate is True and meeting.present_count == meeting.expected_count == 3

    browser.delete_all_cookies()
    submit_login(browser, demo, "member", PASSWORD)
    browser.get(f"{demo}/meetings/{meeting.pk}/")
    submit(browser, "sign-recorder")
    browser.delete_all_cookies()
    submit_login(browser, demo, "secretary", PASSWORD)
    browser.get(f"{demo}/meetings/{meeting.pk}/")
    submit(browser, "sign-secretary")
    assert find(browser, "[data-testid=minutes-state]").text == "已签字锁定"
    meeting.refresh_from_db()
    assert meeting.minutes_state == MinutesState.LOCKED and meeting.locked_at is not None

    # Signed and locked: the month's 支委会 is now met, with this meeting behind it.
    browser.get(compliance_page)
    assert committee_rule_status(browser) == "met"
    links = browser.find_elements(
        By.CSS_SELECTOR, "[data-testid=rule-committee_meeting] [data-testid=meeting-link]"
    )
    assert any(a.get_attribute("href").endswith(f"/meetings/{meeting.pk}/") for a in links)

"""Real-browser smoke test: each demo account logs in through the login form of a live server and
lands on its own page, with the static files served and no sideways scrolling on a phone.

Drives Debian's headless Chromium through Debian's chromedriver, always via an explicit Service path
so Selenium Manager never downloads anything. Without Chromium the tests skip (fail under CI=true)
through the `chromium_paths` fixture."""

import re

import pytest
from django.contrib.auth import get_user_model
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.browser

PASSWORD = "partyaffairs-demo"
PHONE = (390, 1000)
DESKTOP = (1366, 1000)
NAVBAR_RED = "rgb(183, 28, 28)"  # --pa-red in static/css/app.css
ROOT_NAME = "江城市发展和改革委员会机关党委"
BRANCH_NAME = "办公室党支部"
CJK = re.compile(r"[\u4e00-\u9fff]")
WAIT_SECONDS = 15


def wait(driver):
    return WebDriverWait(driver, WAIT_SECONDS)


def find(driver, css):
    return wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))


def submit_login(driver, base, username, password):
    # Leave the previous page first, then clear every cookie: a request the page still had in flight
    # (the bell's htmx load) could otherwise answer after the test cleared the cookies and log the
    # previous user back in, and the login page would redirect instead of showing its form.
    # The bell loads by htmx with every page: let it answer before leaving (a slow machine can
    # still have it in flight when the test moves on).
    WebDriverWait(driver, WAIT_SECONDS, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script("return !document.querySelector('.htmx-request');")
    )
    driver.get("about:blank")
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.get(base + "/accounts/login/")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    # A marker on the login document: gone once the browser has moved on to the next document.
    # (Polling an old element for staleness races the navigation: chromedriver may answer "Node
    # with given id does not belong to the document" instead of a stale-element error.)
    driver.execute_script("window.__paLoginPage = true;")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, WAIT_SECONDS, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script("return !window.__paLoginPage && document.readyState === 'complete';")
    )


def link_texts(driver, css):
    """Read in one script call, so no element handle outlives the document it came from."""
    return driver.execute_script(
        "return [...document.querySelectorAll(arguments[0])].map(a => a.textContent.trim());", css
    )


def assert_static_loaded(driver):
    """app.css applied (red navbar), every stylesheet parsed, and the vendored scripts ran."""
    navbar = find(driver, "nav.pa-navbar")
    assert driver.execute_script("return getComputedStyle(arguments[0]).backgroundColor;", navbar) == (
        NAVBAR_RED
    )
    empty = driver.execute_script(
        "return [...document.querySelectorAll('link[rel=stylesheet]')]"
        "  .filter(l => !(l.sheet && l.sheet.cssRules.length)).map(l => l.href);"
    )
    assert empty == [], f"stylesheets that did not load: {empty}"
    assert driver.execute_script("return typeof window.htmx + ' ' + typeof window.bootstrap;") == (
        "object object"
    )


def assert_no_horizontal_overflow(driver):
    driver.set_window_size(*PHONE)
    find(driver, "main")
    width, scroll = driver.execute_script("return [window.innerWidth, document.documentElement.scrollWidth];")
    assert width <= PHONE[0], f"window did not shrink to phone width (innerWidth {width})"
    assert scroll <= width + 1, f"{driver.current_url} scrolls sideways at {width}px: scrollWidth {scroll}"


def landing_admin(driver):
    assert driver.current_url.endswith("/orgs/")
    assert find(driver, "main h1").text == "组织架构"
    links = link_texts(driver, "main table a")
    assert ROOT_NAME in links
    assert BRANCH_NAME in links


def landing_committee(driver):
    assert re.search(r"/dashboard/\?org=\d+$", driver.current_url)
    assert ROOT_NAME in find(driver, "main h1").text


def landing_secretary(driver):
    assert re.search(r"/dashboard/branch/\d+/$", driver.current_url)
    assert BRANCH_NAME in find(driver, "main h1").text


def landing_member(driver):
    assert driver.current_url.endswith("/dashboard/me/")
    name = get_user_model().objects.get(username="member").name
    assert name
    assert find(driver, "main h1").text.startswith(name)
    assert BRANCH_NAME in find(driver, "main h1").text


LANDINGS = {
    "admin": landing_admin,
    "committee": landing_committee,
    "secretary": landing_secretary,
    "member": landing_member,
}


@pytest.mark.parametrize("username", list(LANDINGS))
def test_demo_account_logs_in_to_its_landing_page(browser, demo, username):
    submit_login(browser, demo, username, PASSWORD)
    LANDINGS[username](browser)
    assert_static_loaded(browser)
    user_menu = find(browser, "[data-testid=user-menu]")
    assert user_menu.text.strip()

    assert_no_horizontal_overflow(browser)
    LANDINGS[username](browser)


def test_wrong_password_shows_a_chinese_error_on_a_phone(browser, demo):
    browser.set_window_size(*PHONE)
    submit_login(browser, demo, "secretary", "not-the-password")

    assert browser.current_url.endswith("/accounts/login/")
    error = find(browser, ".alert-danger").text
    assert CJK.search(error), f"login error is not in Chinese: {error!r}"
    assert "密码" in error
    assert "Please enter" not in error
    assert_static_loaded(browser)
    assert_no_horizontal_overflow(browser)

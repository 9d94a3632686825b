"""Browser fixtures: one headless Chromium per module (Debian's binary and chromedriver, found by
the `chromium_paths` fixture) and a live server loaded with the demo."""

import io

import pytest
from django.core.management import call_command
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from scripts.screenshots import CHROMIUM_FLAGS
from tests.snapshot import Snapshot

DESKTOP = (1366, 1000)


@pytest.fixture(scope="module")
def _driver_slot():
    """Holds the module's one Chromium; started lazily by `browser` once `chromium_paths` passed."""
    slot = {}
    yield slot
    if "driver" in slot:
        slot["driver"].quit()


@pytest.fixture
def browser(chromium_paths, _driver_slot):
    if "driver" not in _driver_slot:
        chromium, chromedriver = chromium_paths
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        # The users' browsers ask for Chinese; headless Chromium otherwise sends en-US.
        options.add_experimental_option("prefs", {"intl.accept_languages": "zh-CN,zh"})
        driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
        driver.set_page_load_timeout(30)
        _driver_slot["driver"] = driver
    driver = _driver_slot["driver"]
    driver.delete_all_cookies()
    driver.set_window_size(*DESKTOP)
    return driver


@pytest.fixture(scope="session")
def _seeded_demo():
    """The database as the first `demo` of this process left it after seed_demo (committed, its
    on-commit work done): later tests get exactly these rows back instead of seeding again."""
    return {}


@pytest.fixture
def demo(live_server, transactional_db, settings, _seeded_demo):
    """The live server's URL, with the demo organisation and accounts loaded: seed_demo in the first
    test, the same rows restored from the snapshot in every later one (each test may change them;
    the transactional teardown flushes them).

    pytest-django runs tests with DEBUG off, where seed_demo refuses without --force. A fast password
    hasher saves seconds per test (the seed hashes four passwords, each login one more)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if "rows" in _seeded_demo:
        _seeded_demo["rows"].restore()
    else:
        call_command("seed_demo", force=True, stdout=io.StringIO())
        _seeded_demo["rows"] = Snapshot.take()
    return live_server.url

"""Screenshots of pages as each demo account sees them, at phone and desktop widths.

    .venv/bin/python scripts/screenshots.py [BASE_URL] [OUT_DIR] [user:path ...]

Needs Debian's chromium and chromium-driver, and fonts-noto-cjk for Chinese glyphs."""

import sys
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

PASSWORD = "partyaffairs-demo"
WIDTHS = {"phone": (390, 1600), "desktop": (1366, 1400)}


# Headless Debian Chromium on a closed network (the browser tests use the same flags).
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)


def driver():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def login(browser, base, username):
    browser.delete_all_cookies()
    browser.get(base + "/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    # Wait for the login to land before the next get(), or the redirect overtakes it.
    WebDriverWait(browser, 15).until(lambda b: "/accounts/login/" not in b.current_url)


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/shots")
    out.mkdir(parents=True, exist_ok=True)
    targets = [a.split(":", 1) for a in sys.argv[3:]] or [
        ["-", "/accounts/login/"],
        ["admin", "/"],
        ["committee", "/"],
        ["secretary", "/"],
        ["member", "/"],
    ]
    browser = driver()
    try:
        for user, path in targets:
            for label, (w, h) in WIDTHS.items():
                browser.set_window_size(w, h)
                if user != "-":
                    login(browser, base, user)
                else:
                    browser.delete_all_cookies()
                browser.get(base + path)
                name = f"{user}-{path.strip('/').replace('/', '_') or 'home'}-{label}.png"
                browser.save_screenshot(str(out / name))
                print(out / name)
    finally:
        browser.quit()


if __name__ == "__main__":
    main()

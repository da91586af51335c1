"""A real headless Chromium, driven by selenium, with every network request refused.

Debian's ``chromium`` and ``chromium-driver`` packages provide the browser and its driver
(.ci/run installs them). Missing, they fail the test that asked for them with what to
install: a browser test that skipped would pass CI without checking anything.
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from selenium.webdriver.chrome.webdriver import WebDriver

BROWSERS: Final = ("chromium", "chromium-browser", "google-chrome")
INSTALL: Final = "apt-get install -y chromium chromium-driver (as .ci/run does)"


def _find(names: tuple[str, ...], what: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(f"no {what} on PATH (looked for {', '.join(names)}): {INSTALL}", pytrace=False)


@contextmanager
def offline_chromium(*, width: int = 1280, height: int = 2000) -> Iterator[WebDriver]:
    """Start headless Chromium with networking disabled; quit it on exit.

    Every request but loopback goes to a closed port (127.0.0.1:9), so a page that needs the
    network shows it as failed loads in the browser log. The browser log is kept at ALL.
    """
    from selenium import webdriver  # noqa: PLC0415  # dev dependency, browser tests only
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    browser = _find(BROWSERS, "Chromium browser")
    driver_path = _find(("chromedriver",), "chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        f"--window-size={width},{height}", "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>", "--no-first-run", "--disable-extensions",
        "--disable-background-networking", "--disable-component-update",
    ):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Both paths given: Selenium Manager, which would download a driver, is never asked.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()

"""The offline HTML report in a real headless Chromium with the network refused."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING, Any, Final

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from tests.analytics.history import commit, write
from tests.browser import offline_chromium

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from selenium.webdriver.chrome.webdriver import WebDriver
    from tests.conftest import Cli

CONFIG: Final = (
    "[tool.hephaestus.analytics]\n"
    'since = "2000-01-01"\ncoupling-min-revs = 2\ncoupling-max-changeset = 3\n'
)
TIMEOUT: Final = 30


def _report(cli: Cli, target: Path) -> None:
    """Write the report of the repository in the working directory to ``target``; exit 0."""
    done = cli("tools", "refactor", "report", "--html", str(target))
    assert done.exit_code == 0, done.stderr


def _configure(repo: Path) -> None:
    """Widen the window to the whole history; couple files changed together twice."""
    (repo / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    with (repo / ".git" / "info" / "exclude").open("a", encoding="utf-8") as handle:
        handle.write("pyproject.toml\nhtmlcov/\n")


def _history_with_snapshots(cli: Cli, repo: Path, target: Path) -> None:
    """Two reports with a commit between them (two snapshots: a trend), and htmlcov/."""
    _configure(repo)
    _report(cli, target)
    write(repo, "pkg/util.py", "def helper(a, b):\n    if a:\n        return b\n    return a\n")
    commit(repo, "dave", 6, "helper grows")
    done = subprocess.run(
        [sys.executable, "-m", "coverage", "html", "-q", "--data-file", ".coverage"],
        cwd=repo, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    _report(cli, target)


def _size(driver: WebDriver, element_id: str) -> tuple[int, int]:
    """Width and height of the element's first SVG (a drawn chart)."""
    svg = driver.find_element(By.CSS_SELECTOR, f"#{element_id} svg.main-svg")
    return svg.size["width"], svg.size["height"]


def _errors(driver: WebDriver) -> list[str]:
    """Console errors and failed loads the page logged."""
    # selenium leaves get_log unannotated: it returns the log entries as dicts.
    entries: list[dict[str, Any]] = driver.get_log("browser")  # type: ignore[no-untyped-call]
    return [e["message"] for e in entries if e["level"] == "SEVERE"]


def test_report_renders_offline_and_drills_down(
    cli: Cli, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Map, scatter, trend, coupling and owners draw with no network; a click shows functions."""
    monkeypatch.chdir(repo)
    target = tmp_path / "out" / "report.html"
    target.parent.mkdir()
    _history_with_snapshots(cli, repo, target)
    with offline_chromium() as driver:
        driver.get(target.as_uri())
        WebDriverWait(driver, TIMEOUT).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#hotspot-map g.slice")
        )
        for chart in (
            "hotspot-map",
            "hotspot-scatter",
            "trend-chart",
            "coupling-matrix",
            "ownership-chart",
        ):
            width, height = _size(driver, chart)
            assert width > 0, chart
            assert height > 0, chart
        assert driver.find_elements(By.ID, "no-trend") == []
        link = driver.find_element(By.ID, "coverage-link").get_attribute("href") or ""
        assert link.endswith("/htmlcov/index.html")
        assert (repo / "htmlcov" / "index.html").is_file()
        points = driver.find_elements(By.CSS_SELECTOR, "#hotspot-map g.slice")
        core = [p for p in points if p.text.strip().startswith("core.py")]
        assert core, [p.text for p in points]
        core[0].click()
        WebDriverWait(driver, TIMEOUT).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#function-chart svg.main-svg")
        )
        shown = driver.find_element(By.ID, "functions").text
        assert "pkg/core.py" in shown
        bars = driver.find_element(By.ID, "function-chart").text
        for function in ("parse", "loop", "Box.size"):
            assert function in bars
        assert _errors(driver) == []


def test_report_without_snapshots_says_so(
    cli: Cli, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One run stores one snapshot: the page says there is no trend yet, and draws no line."""
    monkeypatch.chdir(repo)
    target = tmp_path / "report.html"
    _configure(repo)
    _report(cli, target)
    with offline_chromium() as driver:
        driver.get(target.as_uri())
        WebDriverWait(driver, TIMEOUT).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "#hotspot-map g.slice")
        )
        assert "no snapshots yet" in driver.find_element(By.ID, "no-trend").text
        assert driver.find_elements(By.ID, "trend-chart") == []
        assert _errors(driver) == []

"""Take the screenshot of the HTML report shown in the docs (docs/images/hotspot-report.png).

Writes the report of a repository (default: this one, nothing stored) and opens it in the
offline headless Chromium of the browser tests, shows the hottest file's functions as a click
would, and saves the top of the page.

    uv run python scripts/screenshot_report.py [--repo DIR] [--out docs/images/hotspot-report.png]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.browser: the same offline browser as the tests

from tests.browser import offline_chromium  # noqa: E402


def main() -> int:
    """Write the report, open it, show the hottest file's functions, save the PNG."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=ROOT)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "hotspot-report.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch) / "report.html"
        done = subprocess.run(
            [sys.executable, "-m", "hephaestus", "--format", "json", "tools", "refactor",
             "report", "--no-store", "--html", str(page)],
            cwd=args.repo, capture_output=True, text=True, check=True, timeout=600,
        )  # fmt: skip
        hottest = json.loads(done.stdout)["files"][0]["path"]
        with offline_chromium(width=1280, height=1500) as driver:
            driver.get(page.as_uri())
            driver.execute_script("window.hephaestusShow(arguments[0]);", hottest)
            time.sleep(2)  # let plotly finish drawing the function chart
            args.out.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(args.out))
    print(f"{args.out}: {hottest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Start-up time of the CLI against the cost of importing Typer, side by side.

Runs each command ``--runs`` times (default 15), interleaved round-robin so that machine noise
hits every command alike, and prints medians and ratios to the baseline
``python -c "import typer"``. Targets (issue: foundation): ``--help`` <= 1.5x, ``version`` <= 3x.

    uv run python benchmarks/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
HEPHAESTUS = str(BIN / "hephaestus")

CASES: dict[str, list[str]] = {
    "baseline: import typer": [sys.executable, "-c", "import typer"],
    "hephaestus --help": [HEPHAESTUS, "--help"],
    "hephaestus version": [HEPHAESTUS, "version"],
    "hephaestus --format json version": [HEPHAESTUS, "--format", "json", "version"],
    "hephaestus schema": [HEPHAESTUS, "schema"],
}
TARGETS = {"hephaestus --help": 1.5, "hephaestus version": 3.0}


def _time(argv: list[str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=cwd)
    return time.perf_counter() - started


def main() -> int:
    """Measure, print the table, and return 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    with tempfile.TemporaryDirectory() as cwd:
        for argv in CASES.values():  # warm the page cache and bytecode once
            _time(argv, cwd)
        for _ in range(runs):
            for name, argv in CASES.items():
                samples[name].append(_time(argv, cwd))
    base = statistics.median(samples["baseline: import typer"])
    missed = False
    print(f"{'command':<36}{'median ms':>10}{'ratio':>8}  target")
    for name, times in samples.items():
        median = statistics.median(times)
        ratio = median / base
        target = TARGETS.get(name)
        verdict = ""
        if target is not None:
            ok = ratio <= target
            missed |= not ok
            verdict = f"<= {target:g}x  {'met' if ok else 'MISSED'}"
        print(f"{name:<36}{median * 1000:>10.0f}{ratio:>7.2f}x  {verdict}")
    print(f"({runs} interleaved runs each, medians)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

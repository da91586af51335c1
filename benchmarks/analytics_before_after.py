"""Cold ``tools refactor hotspots`` of this checkout against another one, on the same history.

The repository is the deterministic synthetic history of ``benchmarks/analytics.py`` (its
``build``: --commits commits over --files Python files). Two installs run the same command, cold
(``.hephaestus/`` removed first, as in analytics.py): this checkout's (the ``hephaestus`` beside
the running interpreter, "after") and the one in --against DIR (``DIR/.venv/bin/hephaestus``,
"before", e.g. a clone checked out at the commit before a change, with its own ``uv sync``).
Runs are interleaved ABBA (before, after, after, before, ...) so that load from other work on
the machine hits both alike; ``git log --name-only`` alone is timed beside them as the floor.
Each figure is a median of wall seconds, with CPU seconds (the process and its children: git,
the complexity worker) beside it, the steadier of the two when others load the machine.
Target (issue: team analytics, function hotspots, HTML report): after / before <= 1.10 for a
cold hotspots on a 20,000-commit history.

Then the same, warm: each install keeps its own store (a newer schema refuses an older reader),
holding SNAPSHOTS earlier snapshots of the window (each hotspots run reads their scores for the
sparklines); no target, a figure to watch.
Last, with this checkout only and the store filled by one hotspots run, the median of
--warm-runs of each analysis in WARM (those the work added), and of a cold
``tools team ownership`` (store removed first: it pays the history pass itself).

    git clone -q . /tmp/before && git -C /tmp/before checkout -q SHA
    (cd /tmp/before && uv sync --all-extras)
    uv run python benchmarks/analytics_before_after.py --against /tmp/before
        [--commits 20000] [--files 2000] [--runs 9] [--warm-runs 5] [--keep DIR]

--keep DIR shares analytics.py's layout (DIR/<commits>x<files>/repo): a repository built by
either script is reused by both. Each install runs once untimed first, so that neither pays for
writing its bytecode in a timed run.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # benchmarks.analytics: the same synthetic history, the same runs

from benchmarks.analytics import RUN_ENV, SINCE, repository  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Iterator

AFTER = str(Path(sys.executable).parent / "hephaestus")
TARGET = 1.10
SNAPSHOTS = 12
"""Stored hotspots snapshots before the warm comparison: a sparkline's width of history."""
HOTSPOTS = ["tools", "refactor", "hotspots", "--since", SINCE]
WARM: dict[str, list[str]] = {
    "team ownership": ["tools", "team", "ownership", "--since", SINCE],
    "team knowledge-risk": ["tools", "team", "knowledge-risk", "--since", SINCE],
    "team code-age": ["tools", "team", "code-age", "--since", SINCE],
    "refactor soc": ["tools", "refactor", "soc", "--since", SINCE],
    "refactor functions": ["tools", "refactor", "functions", "--since", SINCE],
}
"""The analyses the work added, each timed after a hotspots run has filled the store."""


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _timed(argv: list[str], cwd: Path) -> tuple[float, float]:
    """Run ``argv``; return its wall seconds and the CPU seconds of it and its children.

    CPU time is the steadier figure when others load the machine: it counts work, not waiting.
    """
    cpu, started = _cpu(), time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, env=RUN_ENV)
    return time.perf_counter() - started, _cpu() - cpu


def _cold(binary: str, args: list[str], root: Path) -> tuple[float, float]:
    shutil.rmtree(root / ".hephaestus", ignore_errors=True)
    return _timed([binary, *args], root)


def _compare(
    root: Path, before: str, runs: int, *, cold: bool
) -> dict[str, list[tuple[float, float]]]:
    """Time hotspots of both installs in ABBA order, and git's own pass, ``runs`` each.

    Cold removes the store before each run; warm keeps it (history cached, complexity cached,
    and every run adds a snapshot, so the store holds at least SNAPSHOTS of this window).
    """
    floor = ["git", "log", "--name-only", f"--since={SINCE}"]
    times: dict[str, list[tuple[float, float]]] = {"before": [], "after": [], "git": []}
    for round_ in range(runs):
        order = ("before", "after") if round_ % 2 == 0 else ("after", "before")
        times["git"].append(_timed(floor, root))
        for name in order:
            binary = before if name == "before" else AFTER
            if cold:
                times[name].append(_cold(binary, HOTSPOTS, root))
                continue
            with _own_store(root, name):
                times[name].append(_timed([binary, *HOTSPOTS], root))
    return times


@contextmanager
def _own_store(root: Path, name: str) -> Iterator[None]:
    """Put install ``name``'s own store in place for a warm run, and put it back after.

    Each install keeps its store: one whose schema is newer refuses the other's database.
    """
    kept = root.parent / f"store-{name}"
    shutil.rmtree(root / ".hephaestus", ignore_errors=True)
    if kept.exists():
        kept.rename(root / ".hephaestus")
    try:
        yield
    finally:
        shutil.rmtree(kept, ignore_errors=True)
        (root / ".hephaestus").rename(kept)


def _report(label: str, times: dict[str, list[tuple[float, float]]], against: Path) -> float:
    """Print the wall and CPU medians of one comparison; return after / before in wall time."""
    wall = {k: statistics.median(w for w, _ in v) for k, v in times.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in times.items()}
    print(f"{label}, median of {len(times['after'])} (ABBA), wall (CPU):")
    print(f"  git log --name-only (floor): {wall['git']:.3f} s ({cpu['git']:.3f} s)")
    for name, where in (("before", against), ("after", Path(AFTER).parents[2])):
        print(f"  {name:<6} {wall[name]:.3f} s ({cpu[name]:.3f} s), "
              f"{wall[name] / wall['git']:.2f}x git: {where}")  # fmt: skip
    ratio = wall["after"] / wall["before"]
    print(f"  after / before = {ratio:.3f}x ({cpu['after'] / cpu['before']:.3f}x)")
    return ratio


def _analyses(root: Path, runs: int) -> dict[str, float]:
    """Median seconds of each new analysis on a filled store, and of a cold ownership."""
    medians: dict[str, float] = {}
    _cold(AFTER, HOTSPOTS, root)  # fills the store: history, complexity, snapshot
    for label, args in WARM.items():
        medians[f"{label} (warm)"] = statistics.median(
            _timed([AFTER, *args], root)[0] for _ in range(runs)
        )
    ownership = WARM["team ownership"]
    medians["team ownership (cold)"] = statistics.median(
        _cold(AFTER, ownership, root)[0] for _ in range(runs)
    )
    return medians


def main() -> int:
    """Build or reuse the history, measure, print the figures; exit 1 if the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, required=True, help="checkout with its .venv")
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--warm-runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the repository here once, reuse it")
    args = parser.parse_args()
    before = args.against / ".venv" / "bin" / "hephaestus"
    if not before.is_file():
        parser.error(f"no {before}: run 'uv sync --all-extras' in {args.against} first")
    with tempfile.TemporaryDirectory() as tmp:
        root = repository(args.keep, Path(tmp), commits=args.commits, files=args.files)
        for binary in (str(before), AFTER):  # untimed: bytecode written, caches warm
            _cold(binary, HOTSPOTS, root)
        cold_times = _compare(root, str(before), args.runs, cold=True)
        cold = _report("cold hotspots", cold_times, args.against)
        print(f"  target: after / before <= {TARGET}x ({args.commits} commits)")
        for name, binary in (("before", str(before)), ("after", AFTER)):
            shutil.rmtree(root.parent / f"store-{name}", ignore_errors=True)
            for _ in range(SNAPSHOTS):
                with _own_store(root, name):
                    _timed([binary, *HOTSPOTS], root)
        warm = _compare(root, str(before), args.runs, cold=False)
        _report(f"warm hotspots, >= {SNAPSHOTS} snapshots stored (no target)", warm, args.against)
        print(f"new analyses, this checkout, median of {args.warm_runs}:")
        for label, seconds in _analyses(root, args.warm_runs).items():
            print(f"  {label}: {seconds:.3f} s")
    return 1 if cold > TARGET else 0


if __name__ == "__main__":
    sys.exit(main())

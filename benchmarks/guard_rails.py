"""guard-rails: parallel against one-after-another, warm cache, and one changed file.

Two code bases, each a git repository in a temporary directory:

* this repository (a clone of HEAD: all gates, including its whole test suite);
* a larger one: the installed source of a big library from site-packages (default: pygments,
  128k lines in 343 modules; --library may repeat, e.g. rich, 39k lines), committed with a
  pyproject.toml that configures ruff and mypy for it. A copy is formatted with ruff once,
  linted for syntax errors only and has the error codes mypy reports on it disabled (its own
  settings are not installed with it), so that every gate passes: only passes are cached, and
  (b) measures reusing them.

For each, interleaved, median of --runs:

(a) cold: ``guard-rails --no-cache`` with every gate at once, against each gate alone
    (``--gate NAME --no-cache``); target: cold <= 1.15 x the slowest single gate + 0.3 s.
    The sum of the single gates is what running them one after another costs.
(b) warm: ``guard-rails`` again with nothing changed (median of --warm runs per round);
    target <= 0.5 s and <= 10 % of cold.
(c) one file changed: edit one Python file, run, and list which gates ran (the others must
    be reported cached). Expected: the gates whose inputs include *.py.

Cold means cold: before each cold run and each single-gate run the tools' own caches
(.mypy_cache, .ruff_cache, .pytest_cache) are removed too, besides --no-cache for hephaestus'.
Python writes bytecode as it does for a user (PYTHONDONTWRITEBYTECODE is removed for the runs):
an installed hephaestus imports its modules from .pyc files after its first run.

pip-audit is left out by default (--skip pip-audit): its vulnerability services are out of reach
on this machine, so it "could not run" after its network timeout, and its result is never cached
(it depends on a remote database), so it would only measure the network's timeout.

    uv run python benchmarks/guard_rails.py [--runs N] [--warm N] [--library NAME]...
        [--no-self] [--skip GATE]...
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
COLD_FACTOR, COLD_SLACK = 1.15, 0.3
WARM_LIMIT, WARM_SHARE = 0.5, 0.10
LIBRARIES = ["pygments"]
# As a user's installation: bytecode is written on the first run and read afterwards.
RUN_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
LIBRARY_PYPROJECT = """\
[project]
name = "{name}-copy"
version = "0"
[tool.ruff]
line-length = 88
[tool.ruff.lint]
select = ["E9"]
[tool.mypy]
files = ["{name}"]
ignore_missing_imports = true
follow_imports = "silent"
"""


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def clone_repository(target: Path) -> Path:
    """Clone this repository's HEAD (its committed state) into ``target``."""
    _git(REPOSITORY, "clone", "-q", "--no-hardlinks", str(REPOSITORY), str(target))
    return target


def copy_library(name: str, target: Path) -> Path:
    """Copy an installed package into a fresh git repository and commit it."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{name} is not installed")
    target.mkdir()
    shutil.copytree(
        Path(spec.origin).parent,
        target / name,
        ignore=shutil.ignore_patterns("*.pyc", "__pycache__"),
    )
    pyproject = target / "pyproject.toml"
    pyproject.write_text(LIBRARY_PYPROJECT.format(name=name))
    ruff = Path(sys.executable).parent / "ruff"
    subprocess.run([str(ruff), "format", "--quiet", "."], cwd=target, check=True)
    baseline_type_errors(target, pyproject)
    _git(target, "init", "-q")
    _git(target, "add", "-A")
    _git(target, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "copy")
    return target


def baseline_type_errors(target: Path, pyproject: Path) -> None:
    """Disable the error codes mypy reports on the copy, so that its gate passes.

    A library's own mypy settings are not installed with it; its existing errors are a baseline
    (as a team adopting mypy starts), and mypy still analyses every module.
    """
    mypy = Path(sys.executable).parent / "mypy"
    done = subprocess.run([str(mypy)], cwd=target, capture_output=True, text=True, check=False)
    codes = sorted(set(re.findall(r"\[([a-z-]+)\]$", done.stdout, flags=re.MULTILINE)))
    if codes:
        with pyproject.open("a") as file:
            file.write(f"disable_error_code = {json.dumps(codes)}\n")
    shutil.rmtree(target / ".mypy_cache", ignore_errors=True)


def clear_tool_caches(root: Path) -> None:
    """Remove the tools' own caches, so that a cold run is cold for them too."""
    for name in (".mypy_cache", ".ruff_cache", ".pytest_cache"):
        shutil.rmtree(root / name, ignore_errors=True)


def guard_rails(root: Path, *args: str) -> tuple[float, dict[str, str]]:
    """Run guard-rails in ``root``; return the wall time and each gate's status."""
    argv = [sys.executable, "-m", "hephaestus", "--format", "json", "guard-rails", *args]
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=root, env=RUN_ENV, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"guard-rails failed in {root}: {done.stderr.strip()}") from None
    if "error" in report:
        raise SystemExit(f"guard-rails failed in {root}: {report['error']['message']}")
    return wall, {r["name"]: r["status"] for r in report["results"]}


def measure(label: str, root: Path, runs: int, warm_runs: int, skip: list[str]) -> bool:
    """Print the three figures for one code base; return whether the targets are met."""
    skips = [a for name in skip for a in ("--skip", name)]
    _, statuses = guard_rails(root, "--no-cache", *skips)  # warms the tools' own caches
    gates = [name for name, status in statuses.items() if status != "skipped"]
    singles: dict[str, list[float]] = {g: [] for g in gates}
    colds: list[float] = []
    warms: list[float] = []
    for _ in range(runs):
        for gate in gates:
            clear_tool_caches(root)
            singles[gate].append(guard_rails(root, "--no-cache", "--gate", gate)[0])
        clear_tool_caches(root)
        colds.append(guard_rails(root, "--no-cache", *skips)[0])
        warms += [guard_rails(root, *skips)[0] for _ in range(warm_runs)]
    single = {g: statistics.median(t) for g, t in singles.items()}
    slowest = max(single.values())
    cold, warm = statistics.median(colds), statistics.median(warms)
    print(f"\n== {label}: {len(gates)} gates ({', '.join(gates)}), median of {runs}", flush=True)
    for gate, seconds in sorted(single.items(), key=lambda item: -item[1]):
        print(f"   alone  {gate:<12} {seconds:7.2f} s")
    print(f"   one after another (sum)  {sum(single.values()):7.2f} s")
    limit = COLD_FACTOR * slowest + COLD_SLACK
    print(
        f"(a) cold parallel {cold:7.2f} s = {cold / slowest:.2f}x the slowest gate "
        f"(target <= {limit:.2f} s), {cold / sum(single.values()):.2f}x the sum"
    )
    print(
        f"(b) warm          {warm:7.2f} s = {warm / cold:.1%} of cold "
        f"(target <= {WARM_LIMIT} s and <= {WARM_SHARE:.0%})"
    )
    python_files = sorted(p for p in root.rglob("*.py") if ".git" not in p.parts)
    changed = python_files[len(python_files) // 2]
    changed.write_text(changed.read_text() + "\n# touched by the benchmark\n")
    _, after = guard_rails(root, *skips)
    reran = sorted(name for name, status in after.items() if status not in {"cached", "skipped"})
    cached = sorted(name for name, status in after.items() if status == "cached")
    print(f"(c) edited {changed.relative_to(root)}: ran {reran}; cached {cached}", flush=True)
    return cold <= limit and warm <= WARM_LIMIT and warm <= WARM_SHARE * cold


def main() -> None:
    """Measure on this repository and on a larger library, side by side."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warm", type=int, default=5, help="warm runs per round [5]")
    parser.add_argument("--library", action="append", help=f"library to copy {LIBRARIES}")
    parser.add_argument("--no-self", action="store_true", help="leave this repository out")
    parser.add_argument("--skip", action="append", help="gate to leave out [pip-audit]")
    args = parser.parse_args()
    args.skip = ["pip-audit"] if args.skip is None else args.skip
    met = True
    with tempfile.TemporaryDirectory(prefix="hephaestus-bench-") as scratch:
        base = Path(scratch)
        if not args.no_self:
            self_copy = clone_repository(base / "self")
            met &= measure("this repository", self_copy, args.runs, args.warm, args.skip)
        for name in args.library or LIBRARIES:
            library = copy_library(name, base / name)
            met &= measure(f"{name} from site-packages", library, args.runs, args.warm, args.skip)
    print("\ntargets met" if met else "\ntargets NOT met")


if __name__ == "__main__":
    main()

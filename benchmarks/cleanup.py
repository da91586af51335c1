"""cleanup against find, side by side, on fresh copies of a generated repository-like tree.

Generates a deterministic tree of about N entries (packages with sources and __pycache__,
tool caches, build outputs beside pyproject.toml, virtual environments with site-packages,
node_modules, a real .git with the sources committed), then measures, interleaved, median of
--runs:

1. planning: ``hephaestus cleanup --deep-clean --dry-run`` against ``find`` with the equivalent
   name predicates and prunes (target <= 1.5x);
2. deleting: ``hephaestus cleanup --deep-clean --yes`` against
   ``find ... -prune -exec rm -rf {} +`` (target <= 1.5x), each on a fresh copy;
3. peak memory (max RSS) of the dry run for each size in --memory-sizes (<= 200 MiB at 1M).

Beside the plan it times the start-up alone (the same dry run of an empty directory), the part
of the plan's time that does not depend on the tree (interpreter, imports, configuration), and
the CPU time (user plus system) of each: the start-up's runs before the arguments are known, so
start-up CPU plus the rest of the plan's CPU shared by every core is the shortest any plan that
does this much work in this process could take, however it were parallelised.

find is given the virtual environments' names to prune (it cannot look inside a directory for
pyvenv.cfg); hephaestus finds them by content. Neither run is told about tracked files, but
hephaestus asks git (one ``git ls-files``) and find does not.

    uv run python benchmarks/cleanup.py [--entries N] [--runs N] [--memory-sizes N,N]
        [--shape repository|workspace] [--dir DIRECTORY] [--no-delete]

``--no-delete`` skips the deletion runs (each needs a fresh copy of the tree: minutes).

``--shape workspace`` makes the second tree: many small packages, each with its caches,
``build/``, an ``.egg-info``, every fifth with a ``.venv`` and every seventh with
``node_modules``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hephaestus.cleanup.patterns import DIRECTORIES, FILES
from hephaestus.cleanup.settings import CleanupCategory as Category

HEPHAESTUS = str(Path(sys.executable).parent / "hephaestus")
PLAN_TARGET = 1.5  # hephaestus / find
MEMORY_TARGET_MIB = 200  # at MEMORY_TARGET_ENTRIES
MEMORY_TARGET_ENTRIES = 1_000_000
# Exact names come from hephaestus' own tables, so find looks for exactly the same things.
DEEP = [c for c in Category if c is not Category.node_modules]
DIR_NAMES = sorted(name for c in DEEP for name in DIRECTORIES.get(c, ()))
FILE_NAMES = sorted(name for c in DEEP for name in FILES.get(c, ()))
# find's globs for the patterns hephaestus compiles (patterns.DIRECTORY_/FILE_PATTERNS).
DIR_GLOBS = ["*.egg-info"]
FILE_GLOBS = ["*.pyc", "*.pyo", ".coverage.*", "._*"]
VENVS = [".venv", "env-3.12"]


def _write(path: Path, text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def generate(root: Path, entries: int) -> None:  # noqa: C901  # one loop per kind of debris
    """Write a deterministic tree of about ``entries`` entries and commit its sources."""
    root.mkdir(parents=True)
    _write(root / "pyproject.toml", '[project]\nname = "bench"\n')
    _write(root / ".gitignore", "__pycache__/\n*.py[co]\n.DS_Store\n")
    per_package = 40  # 12 sources, their 12 .pyc, __pycache__, tests, caches...
    packages = max(1, entries // per_package)
    for p in range(packages):
        pkg = root / "src" / f"pkg{p // 100}" / f"mod{p}"
        for m in range(12):
            _write(pkg / f"m{m}.py", f"VALUE = {m}\n")
            _write(pkg / "__pycache__" / f"m{m}.cpython-311.pyc", "b" * 64)
        for t in range(6):
            _write(root / "tests" / f"t{p // 100}" / f"test_{p}_{t}.py", "def test(): pass\n")
        if p % 10 == 0:
            _write(pkg / ".DS_Store", "x")
            _write(pkg / "stray.pyc", "x")
    share = max(1, entries // 10)
    for venv in VENVS:
        _write(root / venv / "pyvenv.cfg", "home = /usr\n")
        for i in range(share // len(VENVS) // 2):
            site = root / venv / "lib" / "python3.11" / "site-packages" / f"dep{i // 50}"
            _write(site / f"f{i}.py")
            _write(site / "__pycache__" / f"f{i}.cpython-311.pyc")
    for i in range(share // 2):
        _write(root / "node_modules" / f"p{i // 50}" / f"i{i}.js")
    for cache in (".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"):
        for i in range(share // 8):
            _write(root / cache / f"d{i // 100}" / f"c{i}")
    for i in range(share // 4):
        _write(root / "build" / "lib" / f"b{i // 100}" / f"f{i}.py")
        if i % 4 == 0:
            _write(root / "dist" / f"bench-{i}.whl", "w")
    _write(root / ".coverage", "db")
    _write(root / "coverage.xml", "<coverage/>")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.invalid",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.invalid",
    }
    for argv in (
        ["git", "init", "-q"],
        ["git", "add", ".gitignore", "pyproject.toml", "src", "tests"],
        ["git", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "bench"],
    ):
        subprocess.run(argv, cwd=root, check=True, env=env, capture_output=True)


def generate_workspace(root: Path, entries: int) -> None:
    """Write a workspace of many small packages (about 190 entries each), sources committed.

    Each package has its caches, build/, an .egg-info; some have a .venv or node_modules.
    """
    root.mkdir(parents=True)
    _write(root / ".gitignore", "__pycache__/\n*.py[co]\n")
    packages = max(1, entries // 190)
    for p in range(packages):
        pkg = root / "packages" / f"pkg{p}"
        _write(pkg / "pyproject.toml", f'[project]\nname = "pkg{p}"\n')
        for m in range(10):
            _write(pkg / "src" / f"pkg{p}" / f"m{m}.py", f"VALUE = {m}\n")
            _write(pkg / "src" / f"pkg{p}" / "__pycache__" / f"m{m}.cpython-311.pyc", "b" * 64)
            _write(pkg / "build" / "lib" / f"pkg{p}" / f"m{m}.py", "")
        for t in range(5):
            _write(pkg / "tests" / f"test_{t}.py", "def test(): pass\n")
            _write(pkg / "tests" / "__pycache__" / f"test_{t}.cpython-311.pyc")
            _write(pkg / ".pytest_cache" / "v" / "cache" / f"c{t}")
            _write(pkg / ".ruff_cache" / "0.6" / f"r{t}")
            _write(pkg / f"pkg{p}.egg-info" / f"F{t}.txt")
        for c in range(30):
            _write(pkg / ".mypy_cache" / "3.11" / f"pkg{p}" / f"m{c}.meta.json", "{}")
        if p % 5 == 0:
            _write(pkg / ".venv" / "pyvenv.cfg", "home = /usr\n")
            for i in range(150):
                site = pkg / ".venv" / "lib" / "python3.11" / "site-packages" / f"dep{i // 30}"
                _write(site / f"f{i}.py")
                _write(site / "__pycache__" / f"f{i}.cpython-311.pyc")
        if p % 7 == 0:
            for i in range(200):
                _write(pkg / "node_modules" / f"n{i // 20}" / f"i{i}.js")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@example.invalid",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@example.invalid",
    }
    tracked = ["git", "add", ".gitignore", *(f"packages/pkg{p}/src" for p in range(packages))]
    for argv in (
        ["git", "init", "-q"],
        tracked,
        ["git", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "bench"],
    ):
        subprocess.run(argv, cwd=root, check=True, env=env, capture_output=True)


SHAPES = {"repository": generate, "workspace": generate_workspace}


def find_argv(root: Path, *, delete: bool) -> list[str]:
    """Build the find command line with the same prunes and name predicates as --deep-clean."""
    prune = ["(", "-name", ".git", "-o", "-name", "node_modules", "-o", "-name", ".hephaestus"]
    for venv in VENVS:
        prune += ["-o", "-name", venv]
    prune += [")", "-prune"]
    match = ["(", "-type", "d", "("]
    for i, name in enumerate([*DIR_NAMES, *DIR_GLOBS]):
        match += (["-o"] if i else []) + ["-name", name]
    match += [")", "-o", "-type", "f", "("]
    for i, name in enumerate([*FILE_NAMES, *FILE_GLOBS]):
        match += (["-o"] if i else []) + ["-name", name]
    match += [")", ")"]
    action = ["-prune", "-exec", "rm", "-rf", "{}", "+"] if delete else ["-prune", "-print"]
    return ["find", str(root), *prune, "-o", *match, *action]


def timed(argv: list[str], cwd: Path) -> float:
    """Wall time of one run, output discarded (its CPU time goes to ``CPU[argv[0]]``)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    CPU.setdefault(" ".join(argv), []).append(cpu)
    return wall


CPU: dict[str, list[float]] = {}
"""User plus system seconds of each command line's runs (its whole process tree)."""


def peak_rss_mib(argv: list[str], cwd: Path) -> float:
    """Peak resident memory of ``argv`` (its own process tree), in MiB."""
    probe = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], "
        "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *argv], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout
    return int(out.strip()) / 1024


def count(root: Path) -> int:
    """Count the entries below ``root``."""
    return sum(len(d) + len(f) for _, d, f in os.walk(root))


def main() -> int:
    """Generate, measure, print the table; return 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--memory-sizes", default="200000,1000000")
    parser.add_argument(
        "--shape", choices=sorted(SHAPES), default="repository", help="which tree to generate"
    )
    parser.add_argument("--dir", type=Path, default=None, help="where to make the trees")
    parser.add_argument("--no-delete", action="store_true", help="time the plan only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hephaestus-bench-", dir=args.dir) as scratch:
        work = Path(scratch)
        template = work / "template"
        SHAPES[args.shape](template, args.entries)
        print(f"tree: {count(template)} entries (requested {args.entries})")
        empty = work / "empty"
        empty.mkdir()
        plan = {
            "hephaestus": [HEPHAESTUS, "cleanup", "--deep-clean", "--dry-run", str(template)],
            "find": find_argv(template, delete=False),
            "start-up": [HEPHAESTUS, "cleanup", "--deep-clean", "--dry-run", str(empty)],
        }
        whats = ("plan",) if args.no_delete else ("plan", "delete")
        deleters = () if args.no_delete else ("hephaestus", "find")
        times: dict[str, list[float]] = {f"{k} plan": [] for k in plan}
        times.update({f"{k} delete": [] for k in deleters})
        for argv in plan.values():  # warm caches once
            timed(argv, work)
        for run in range(args.runs):
            for name, argv in plan.items():
                times[f"{name} plan"].append(timed(argv, work))
            for name in deleters:
                copy = work / f"copy-{name}-{run}"
                subprocess.run(["cp", "-a", str(template), str(copy)], check=True)
                os.sync()  # flush the copy first, so neither side pays for the other's writes
                argv = (
                    [HEPHAESTUS, "cleanup", "--deep-clean", "--yes", str(copy)]
                    if name == "hephaestus"
                    else find_argv(copy, delete=True)
                )
                times[f"{name} delete"].append(timed(argv, work))
                shutil.rmtree(copy)
        missed = False
        for what in whats:
            ours = statistics.median(times[f"hephaestus {what}"])
            theirs = statistics.median(times[f"find {what}"])
            ok = ours / theirs <= PLAN_TARGET
            missed |= not ok
            print(
                f"{what:<7} hephaestus {ours * 1000:8.0f} ms   find {theirs * 1000:8.0f} ms   "
                f"ratio {ours / theirs:5.2f}x  (target <= 1.5x: {'met' if ok else 'MISSED'})"
            )
        fixed = statistics.median(times["start-up plan"])
        theirs = statistics.median(times["find plan"])
        print(f"start-up (empty directory) {fixed * 1000:8.0f} ms   = {fixed / theirs:4.2f}x find")
        cpu = {k: statistics.median(CPU[" ".join(argv)]) for k, argv in plan.items()}
        # The start-up runs before the arguments are known, so at best the rest is shared by
        # every core: a floor for any walk in this process that uses them all.
        floor = cpu["start-up"] + (cpu["hephaestus"] - cpu["start-up"]) / (os.cpu_count() or 1)
        print(
            f"CPU     hephaestus {cpu['hephaestus'] * 1000:8.0f} ms   find "
            f"{cpu['find'] * 1000:8.0f} ms   start-up {cpu['start-up'] * 1000:5.0f} ms   "
            f"floor on {os.cpu_count()} cores {floor * 1000:5.0f} ms = {floor / theirs:4.2f}x find"
        )
        for size in (int(s) for s in args.memory_sizes.split(",") if s):
            tree = work / f"mem-{size}"
            generate(tree, size)
            mib = peak_rss_mib(
                [HEPHAESTUS, "cleanup", "--deep-clean", "--dry-run", str(tree)], work
            )
            print(f"memory  {count(tree):>9} entries: peak {mib:6.1f} MiB")
            shutil.rmtree(tree)
            missed |= size >= MEMORY_TARGET_ENTRIES and mib > MEMORY_TARGET_MIB
        print(f"({args.runs} interleaved runs each, medians; fresh copies for deletion)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

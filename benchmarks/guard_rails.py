"""guard-rails: parallel against one-after-another, warm cache, one changed file, the key's cost.

Two code bases, each a git repository in a temporary directory, each with its own environment
in ``.venv`` (guard-rails runs the gates that import the project, pytest and mypy, only in the
project's environment, never in the one running hephaestus, and finds it there by itself):

* this repository (a clone of HEAD: all gates, including its whole test suite). Its ``.venv``
  is made as a developer makes theirs: this repository's ``uv.lock`` (untracked, so copied in,
  where it is an ignored file) and ``uv sync --frozen --offline``, from uv's cache; the clone's
  hephaestus is installed editable from the clone, so its tests test the clone.
* a larger one: the installed source of a big library from site-packages (default: pygments,
  128k lines in 343 modules; --library may repeat, e.g. rich, 39k lines), committed with a
  pyproject.toml that declares ruff and mypy (a dev group) and configures them: ``[tool.ruff]``,
  ``[tool.ruff.format]``, ``[tool.mypy] files``. It has no tests, so no pytest gate. Its
  ``.venv`` (git-ignored) gets exactly the ruff and mypy of the environment running this
  benchmark, with their dependencies (``uv pip install --offline --no-deps``). The copy is
  formatted with ruff once, linted for syntax errors only and has the error codes mypy reports
  on it disabled (its own settings are not installed with it), so that every gate passes: only
  passes are cached, and (b) measures reusing them.

How environments are provided: guard-rails runs the gates that import the project (pytest,
mypy, pip-audit) only in the project's own environment: ``--python``, an active ``VIRTUAL_ENV``
unless it is hephaestus' own, the project's ``.venv``... and never in the environment running
hephaestus. Under ``uv run`` ``VIRTUAL_ENV`` is this repository's ``.venv``, hephaestus' own, so
guard-rails passes over it and finds each code base's ``.venv`` by itself: no ``--python`` is
given, and every run must report the environment ``.venv``. Standalone tools (ruff) come from
that ``.venv`` too. Everything is installed offline, from uv's cache.

A gate runs only where the repository uses its tool (declared, configured or hooked); a gate
that could not run stops the benchmark with its reason. One that fails on the code base (real
findings: it would never be cached) twice, all at once then alone, is left out of every figure
and named in the output. A test suite may be flaky (hypothesis): a cold or single run that fails
is timed all the same (it ran whole) and named; the run that stores the passes for (b) is
repeated until every gate passed (at most 3 times).

For each, interleaved, median of --runs:

(a) cold: ``guard-rails --no-cache`` with every gate at once, against each gate alone
    (``--gate NAME --no-cache``); target: cold <= 1.15 x the slowest single gate + 0.3 s.
    The sum of the single gates is what running them one after another costs.
(b) warm: ``guard-rails`` again with nothing changed (median of --warm runs per round, after one
    run that stores the passes); target <= 0.5 s and <= 10 % of cold. Every gate must be cached.
(c) one file changed: append a comment to one tracked Python file (formatted by the project's
    ruff, so that every gate still passes), run, and list which gates ran (the others must be
    reported cached). Expected: the gates whose inputs include *.py.
(d) the wider cache key (measured before (c)'s edit, printed after it): the key covers every
    file a tool may read (tracked, untracked and git-ignored: the *input universe*), hashed
    through a stat cache (``.hephaestus/cache/stat-cache.json``). Printed: the universe's size;
    in-process medians of listing it, of statting it against the stat cache (a warm run's work)
    and of hashing it whole (no stat cache); end to end, a warm run with the stat cache against
    one with it deleted before the run (--warm pairs, interleaved); and ``hephaestus version``
    as the floor any run pays to start.
(e) one changed file, the ruff gates only: ``--changed-since HEAD`` against a whole run and
    against ``prek run --files`` running the same ruff commands, interleaved in rotating order.
    ``--only-changed`` measures (e) alone, on the library copies.

Cold means cold: before each cold run and each single-gate run the tools' own caches are
removed too (in hephaestus' state, ``.hephaestus/tools/``, where the gates now send them, and
.mypy_cache, .ruff_cache, .pytest_cache, and .hypothesis, whose saved failing examples would be
replayed), besides --no-cache for hephaestus'. The test suite's
bytecode (``.hephaestus/tools/pytest/pycache``) is kept, as a user's is between runs. Python
writes bytecode as it does for a user (PYTHONDONTWRITEBYTECODE is removed for the runs): an
installed hephaestus imports its modules from .pyc files after its first run.

pip-audit is left out by default (--skip pip-audit): its vulnerability services are out of reach
on this machine, so it "could not run" after its network timeout, and its result is never cached
(it depends on a remote database), so it would only measure the network's timeout.

    uv run python benchmarks/guard_rails.py [--runs N] [--warm N] [--library NAME]...
        [--no-self] [--skip GATE]... [--only-changed]
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
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from hephaestus.gates.fingerprint import STAT_CACHE_NAME, StatCache
from hephaestus.gates.inputs import input_universe, repository_files

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

REPOSITORY = Path(__file__).resolve().parents[1]
COLD_FACTOR, COLD_SLACK = 1.15, 0.3
WARM_LIMIT, WARM_SHARE = 0.5, 0.10
LIBRARIES = ["pygments"]
LIBRARY_TOOLS = ("ruff", "mypy")
ENVIRONMENT = ".venv"
# As a user's installation: bytecode is written on the first run and read afterwards. The
# project's environment is its .venv, found by guard-rails itself (uv run's VIRTUAL_ENV is
# hephaestus' own environment, which guard-rails never takes for the project's).
RUN_ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in {"PYTHONDONTWRITEBYTECODE", "UV_PROJECT_ENVIRONMENT", "CONDA_PREFIX"}
}
UV_ENV = {k: v for k, v in RUN_ENV.items() if k != "VIRTUAL_ENV"}
TOOL_CACHES = (".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis")
ATTEMPTS = 3
"""Runs allowed to store every gate's pass (a flaky test may fail one)."""
STATE = ".hephaestus"
KEPT_BYTECODE = Path("pytest") / "pycache"
QUOTED = 3
"""Findings quoted when a gate that should pass failed."""
LIBRARY_PYPROJECT = """\
[project]
name = "{name}-copy"
version = "0"
[dependency-groups]
dev = {tools}
[tool.ruff]
line-length = 88
[tool.ruff.lint]
select = ["E9"]
[tool.ruff.format]
[tool.mypy]
files = ["{name}"]
ignore_missing_imports = true
follow_imports = "silent"
"""


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _uv(cwd: Path, *args: str) -> None:
    """Run uv offline (from its cache); stop the benchmark with uv's message if it fails."""
    uv = shutil.which("uv")
    if uv is None:
        raise SystemExit("uv is not on PATH: it makes the code bases' environments")
    done = subprocess.run(
        [uv, *args, "--offline", "--quiet"],
        cwd=cwd,
        env=UV_ENV,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"uv {' '.join(args)} failed in {cwd}:\n{done.stderr.strip()}")


def clone_repository(target: Path) -> Path:
    """Clone this repository's HEAD into ``target`` and give it its own ``.venv``.

    The environment comes from this repository's lock, offline: ``uv sync --frozen``.
    """
    lock = REPOSITORY / "uv.lock"
    if not lock.is_file():
        raise SystemExit(f"{lock} is missing: run `uv lock` in {REPOSITORY} first")
    _git(REPOSITORY, "clone", "-q", "--no-hardlinks", str(REPOSITORY), str(target))
    shutil.copy2(lock, target / "uv.lock")  # git-ignored there, as in a developer's checkout
    _uv(target, "sync", "--frozen")
    return target


def closure(names: Iterable[str]) -> list[str]:
    """Pin ``names`` and their runtime dependencies as installed here (``name==version``)."""
    pinned: dict[str, str] = {}
    pending = [canonicalize_name(n) for n in names]
    while pending:
        name = pending.pop()
        if name in pinned:
            continue
        distribution = metadata.distribution(name)
        pinned[name] = distribution.version
        for text in distribution.requires or ():
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(canonicalize_name(requirement.name))
    return [f"{name}=={version}" for name, version in sorted(pinned.items())]


def copy_library(name: str, target: Path) -> Path:
    """Copy an installed package into a fresh git repository with its own ``.venv``."""
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
    pyproject.write_text(LIBRARY_PYPROJECT.format(name=name, tools=json.dumps(LIBRARY_TOOLS)))
    (target / ".gitignore").write_text(f"{ENVIRONMENT}/\n")
    _uv(target, "venv", "--python", sys.executable, ENVIRONMENT)
    python = str(target / ENVIRONMENT / "bin" / "python")
    _uv(target, "pip", "install", "--no-deps", "--python", python, *closure(LIBRARY_TOOLS))
    tools = target / ENVIRONMENT / "bin"
    subprocess.run([str(tools / "ruff"), "format", "--quiet", "."], cwd=target, check=True)
    baseline_type_errors(target, pyproject, tools / "mypy")
    _git(target, "init", "-q")
    _git(target, "add", "-A")
    _git(target, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "copy")
    return target


def baseline_type_errors(target: Path, pyproject: Path, mypy: Path) -> None:
    """Disable the error codes mypy reports on the copy, so that its gate passes.

    A library's own mypy settings are not installed with it; its existing errors are a baseline
    (as a team adopting mypy starts), and mypy still analyses every module.
    """
    done = subprocess.run([str(mypy)], cwd=target, capture_output=True, text=True, check=False)
    codes = sorted(set(re.findall(r"\[([a-z-]+)\]$", done.stdout, flags=re.MULTILINE)))
    if codes:
        with pyproject.open("a") as file:
            file.write(f"disable_error_code = {json.dumps(codes)}\n")
    shutil.rmtree(target / ".mypy_cache", ignore_errors=True)


def clear_tool_caches(root: Path) -> None:
    """Remove the tools' own caches, so that a cold run is cold for them too.

    The gates keep them in ``.hephaestus/tools/<gate>``; the test suite's bytecode stays.
    """
    for name in TOOL_CACHES:
        shutil.rmtree(root / name, ignore_errors=True)
    tools = root / STATE / "tools"
    for gate in tools.iterdir() if tools.is_dir() else ():
        for entry in gate.iterdir() if gate.is_dir() else ():
            if entry.relative_to(tools) != KEPT_BYTECODE:
                shutil.rmtree(entry, ignore_errors=True)


@dataclass(frozen=True)
class Run:
    """One guard-rails run: its wall time, each gate's status and reason, the environment."""

    wall: float
    statuses: dict[str, str]
    reasons: dict[str, str]
    environment: str | None


def guard_rails(root: Path, *args: str) -> Run:
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
    results = report["results"]
    return Run(
        wall,
        {r["name"]: r["status"] for r in results},
        {r["name"]: r.get("reason") or _findings(r["findings"]) for r in results},
        report.get("environment"),
    )


def _findings(findings: list[dict[str, object]]) -> str:
    """Quote a failed gate's first findings (path:line: message)."""
    quoted = [f"{f.get('path')}:{f.get('line')}: {f.get('message')}" for f in findings[:QUOTED]]
    more = f" and {len(findings) - QUOTED} more" if len(findings) > QUOTED else ""
    return "; ".join(quoted) + more


def _check(run: Run, root: Path, *expected: str) -> None:
    """Stop unless every gate that was not skipped has a status in ``expected``, in ``.venv``."""
    wrong = {n: s for n, s in run.statuses.items() if s not in {*expected, "skipped"}}
    if wrong or run.environment != ENVIRONMENT:
        lines = [f"  {n}: {s} ({run.reasons[n]})" for n, s in wrong.items()]
        raise SystemExit(
            f"guard-rails in {root} (environment {run.environment!r}, expected {ENVIRONMENT!r}): "
            f"every gate should be {' or '.join(expected)}:\n" + "\n".join(lines)
        )


def _misses(run: Run) -> list[str]:
    """Return the gates a warm run did not answer from the cache, with their status."""
    return [f"{n} {s}" for n, s in run.statuses.items() if s not in {"cached", "skipped"}]


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _universe(root: Path) -> tuple[tuple[str, ...], int, int]:
    """Return the input universe and how many of its files are tracked, or not ignored."""
    universe = input_universe(root)
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True
    ).stdout
    tracked = {os.fsdecode(p) for p in listed.split(b"\0") if p}
    visible = set(repository_files(root))
    return universe, sum(p in tracked for p in universe), sum(p in visible for p in universe)


def _describe_all(root: Path, files: Iterable[str], stat_cache: Path | None) -> None:
    contents = StatCache(root, path=stat_cache)
    for path in files:
        contents.describe(path)


def wider_key(root: Path, runs: int, skips: list[str]) -> list[str]:
    """Measure (d): the universe, and what listing, statting and hashing it cost a warm run."""
    stat_cache = root / STATE / "cache" / STAT_CACHE_NAME
    universe, tracked, visible = _universe(root)
    listing, statting, hashing, version = [], [], [], []
    kept, dropped = [], []
    misses: list[str] = []
    for _ in range(runs):
        listing.append(_timed(lambda: input_universe(root)))
        statting.append(_timed(lambda: _describe_all(root, universe, stat_cache)))
        hashing.append(_timed(lambda: _describe_all(root, universe, None)))
        version.append(_timed(lambda: _version(root)))
        run = guard_rails(root, *skips)
        kept.append(run.wall)
        stat_cache.unlink(missing_ok=True)
        again = guard_rails(root, *skips)  # hashes every file, writes the stat cache again
        dropped.append(again.wall)
        misses += _misses(run) + _misses(again)
    median = statistics.median
    listed, stat, hashed = median(listing), median(statting), median(hashing)
    warm, cold_stat = median(kept), median(dropped)
    ignored = len(universe) - visible
    lines = [
        (
            f"(d) input universe {len(universe)} files: {tracked} tracked, "
            f"{visible - tracked} untracked, {ignored} ignored; "
            f"stat cache {stat_cache.stat().st_size / 1024:.0f} KiB"
        ),
        (
            f"    in-process, median of {runs}: list {listed:.3f} s, stat against the stat "
            f"cache {stat:.3f} s, hash every file {hashed:.3f} s"
        ),
        (
            f"    warm with stat cache {warm:.2f} s, stat cache deleted {cold_stat:.2f} s "
            f"(+{cold_stat - warm:.2f} s); `hephaestus version` {median(version):.2f} s"
        ),
    ]
    if misses:
        lines.append(f"    NOT cached in (d)'s warm runs: {misses}")
    return lines


def _version(root: Path) -> None:
    argv = [sys.executable, "-m", "hephaestus", "--format", "json", "version"]
    subprocess.run(argv, cwd=root, env=RUN_ENV, capture_output=True, check=True)


def select_gates(root: Path, skips: list[str]) -> tuple[list[str], list[str]]:
    """Run every gate once (warming the tools' caches); return the passing gates and the rest.

    A gate that fails is run once more alone (a flaky test); failing again, it is left out
    (``--skip`` is added to ``skips``), since a failure is never cached.
    """
    first = guard_rails(root, "--no-cache", *skips)
    _check(first, root, "passed", "failed")
    left_out = [f"{n} ({first.reasons[n]})" for n, s in first.statuses.items() if s == "skipped"]
    gates = [name for name, status in first.statuses.items() if status == "passed"]
    for name in (n for n, s in first.statuses.items() if s == "failed"):
        again = guard_rails(root, "--no-cache", "--gate", name)
        _check(again, root, "passed", "failed")
        if again.statuses[name] == "passed":
            print(f"    {name} failed once, then passed: {first.reasons[name]}", flush=True)
            gates.append(name)
        else:
            left_out.append(f"{name} (FAILED on this code base, left out: {again.reasons[name]})")
            skips += ["--skip", name]
    return [g for g in first.statuses if g in gates], left_out


def store_passes(root: Path, skips: list[str]) -> None:
    """Run until every gate has passed once, so that the warm runs find the passes cached."""
    for attempt in range(1, ATTEMPTS + 1):
        run = guard_rails(root, *skips)
        _check(run, root, "passed", "cached", "failed")
        failed = [f"{n}: {run.reasons[n]}" for n, s in run.statuses.items() if s == "failed"]
        if not failed:
            return
        print(f"    storing the passes, attempt {attempt}: failed {failed}", flush=True)
        clear_tool_caches(root)  # a failing example hypothesis saved would be replayed
    raise SystemExit(f"guard-rails in {root}: no pass to cache after {ATTEMPTS} attempts")


@dataclass
class Rounds:
    """The timings of the interleaved rounds, and what went wrong in them."""

    singles: dict[str, list[float]]
    colds: list[float]
    warms: list[float]
    misses: list[str]
    """Gates a warm run did not answer from the cache."""
    flaky: list[str]
    """Gates that failed in a cold or single run (their time still counts: they ran whole)."""


def timed_rounds(root: Path, gates: list[str], skips: list[str], runs: int, warm: int) -> Rounds:
    """Per round: each gate alone, all at once (both cold), then ``warm`` warm runs."""
    rounds = Rounds({g: [] for g in gates}, [], [], [], [])

    def cold(*args: str) -> float:
        clear_tool_caches(root)
        run = guard_rails(root, "--no-cache", *args)
        _check(run, root, "passed", "failed")
        rounds.flaky += [f"{n}: {run.reasons[n]}" for n, s in run.statuses.items() if s == "failed"]
        return run.wall

    for _ in range(runs):
        for gate in gates:
            rounds.singles[gate].append(cold("--gate", gate))
        rounds.colds.append(cold(*skips))
        for _ in range(warm):
            run = guard_rails(root, *skips)
            rounds.misses += _misses(run)
            rounds.warms.append(run.wall)
    return rounds


def measure(label: str, root: Path, runs: int, warm_runs: int, skip: list[str]) -> bool:
    """Print the four figures for one code base; return whether the targets are met."""
    skips = [a for name in skip for a in ("--skip", name)]
    gates, left_out = select_gates(root, skips)
    store_passes(root, skips)
    rounds = timed_rounds(root, gates, skips, runs, warm_runs)
    single = {g: statistics.median(t) for g, t in rounds.singles.items()}
    slowest = max(single.values())
    cold, warm_median = statistics.median(rounds.colds), statistics.median(rounds.warms)
    print(f"\n== {label}: {len(gates)} gates ({', '.join(gates)}), median of {runs}", flush=True)
    print(f"   environment {ENVIRONMENT}; not run: {'; '.join(left_out) or 'none'}")
    for gate, seconds in sorted(single.items(), key=lambda item: -item[1]):
        print(f"   alone  {gate:<12} {seconds:7.2f} s")
    print(f"   one after another (sum)  {sum(single.values()):7.2f} s")
    limit = COLD_FACTOR * slowest + COLD_SLACK
    print(
        f"(a) cold parallel {cold:7.2f} s = {cold / slowest:.2f}x the slowest gate "
        f"(target <= {limit:.2f} s), {cold / sum(single.values()):.2f}x the sum"
    )
    if rounds.flaky:
        print(f"    FAILED in some cold or single runs (timed all the same): {rounds.flaky}")
    print(
        f"(b) warm          {warm_median:7.2f} s = {warm_median / cold:.1%} of cold "
        f"(target <= {WARM_LIMIT} s and <= {WARM_SHARE:.0%}), median of {len(rounds.warms)}",
        flush=True,
    )
    if misses := rounds.misses:
        counted = ", ".join(f"{m} {misses.count(m)}x" for m in sorted(set(misses)))
        print(f"    NOT cached in {len(rounds.warms)} warm runs: {counted}", flush=True)
    key = wider_key(root, warm_runs, skips)  # before the edit: nothing has changed
    changed = edit_one_file(root)
    after = guard_rails(root, *skips)
    reran = sorted(n for n, s in after.statuses.items() if s not in {"cached", "skipped"})
    cached = sorted(n for n, s in after.statuses.items() if s == "cached")
    print(f"(c) edited {changed}: ran {reran}; cached {cached}", flush=True)
    if misses := _misses(guard_rails(root, *skips)):  # the edit's passes were stored
        print(f"    after (c), NOT cached again: {misses}", flush=True)
    print("\n".join(key), flush=True)
    print("\n".join(changed_file_case(root, changed, runs, RUN_ENV)), flush=True)
    return cold <= limit and warm_median <= WARM_LIMIT and warm_median <= WARM_SHARE * cold


def middle_file(root: Path) -> str:
    """Return the middle tracked Python file (never one in the environment)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", "*.py"], cwd=root, capture_output=True, check=True
    ).stdout
    python_files = sorted(os.fsdecode(p) for p in listed.split(b"\0") if p)
    return python_files[len(python_files) // 2]


def edit_one_file(root: Path) -> str:
    """Append a comment to the middle tracked Python file.

    The project's ruff formats it afterwards, as an editor would, so that every gate passes.
    """
    changed = middle_file(root)
    path = root / changed
    path.write_text(path.read_text() + "\n\n# touched by the benchmark\n")
    ruff = str(root / ENVIRONMENT / "bin" / "ruff")
    subprocess.run([ruff, "format", "--quiet", changed], cwd=root, env=RUN_ENV, check=True)
    return changed


# --- (e) one changed file: --changed-since against a whole run and against prek -----------------
#
# The ruff gates only (ruff-check, ruff-format: those a changed-files run gives one file), three
# ways: a whole run (ruff on every file: ruff's own cache warm, hephaestus' missing since a file
# changed); the same with --changed-since HEAD (ruff on the changed file only); and `prek run
# --files FILE` running the same two ruff commands (`ruff check --no-fix`, `ruff format --check`,
# the project's ruff) as local hooks committed in .pre-commit-config.yaml. Before every timed run
# the file gets a new comment (then ruff formats it), so each run faces a change no cache has
# seen; the three are interleaved in rotating order after one untimed warm-up round.

RUFF_GATES = ("--gate", "ruff-check", "--gate", "ruff-format")
RUFF_HOOKS = """\
repos:
  - repo: local
    hooks:
      - id: ruff-check
        name: ruff check
        entry: {ruff} check --no-fix --force-exclude
        language: system
        types_or: [python, pyi]
      - id: ruff-format
        name: ruff format
        entry: {ruff} format --check --force-exclude
        language: system
        types_or: [python, pyi]
"""


def _prek() -> str:
    found = shutil.which("prek", path=str(Path(sys.executable).parent)) or shutil.which("prek")
    if found is None:
        raise SystemExit("prek is not installed: it is in the dev group (uv sync)")
    return found


def _touch(root: Path, changed: str, count: int, env: Mapping[str, str]) -> None:
    """Append a new comment to ``changed``; the project's ruff formats it, as an editor would."""
    path = root / changed
    path.write_text(path.read_text() + f"\n# touched by the benchmark, {count}\n")
    ruff = str(root / ".venv" / "bin" / "ruff")
    subprocess.run([ruff, "format", "--quiet", changed], cwd=root, env=env, check=True)


def _ruff_gates(root: Path, env: Mapping[str, str], *args: str) -> tuple[float, dict[str, object]]:
    argv = [
        sys.executable,
        "-m",
        "hephaestus",
        "--format",
        "json",
        "guard-rails",
        *RUFF_GATES,
        *args,
    ]
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    report = json.loads(done.stdout)
    results = {r["name"]: r for r in report.get("results", ())}
    wrong = [f"{n}: {r['status']}" for n, r in results.items() if r["status"] != "skipped"]
    if done.returncode != 0 or len(wrong) != 2 or any("passed" not in w for w in wrong):  # noqa: PLR2004  # the two ruff gates
        raise SystemExit(f"guard-rails {' '.join(args)} in {root}: {wrong or report}")
    return wall, results


def changed_file_case(root: Path, changed: str, runs: int, env: Mapping[str, str]) -> list[str]:
    """Measure (e) on the committed repository ``root``, editing ``changed``; return the lines."""
    ruff = root / ".venv" / "bin" / "ruff"
    (root / ".pre-commit-config.yaml").write_text(RUFF_HOOKS.format(ruff=ruff))
    subprocess.run(["git", "add", ".pre-commit-config.yaml"], cwd=root, check=True)
    subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "hooks"],
        cwd=root,
        check=True,
    )
    prek = _prek()
    given: dict[str, object] = {}

    def whole() -> float:
        wall, results = _ruff_gates(root, env)
        if results["ruff-check"].get("files") is not None:  # type: ignore[attr-defined]
            raise SystemExit("the whole run was given some files only")
        return wall

    def since() -> float:
        wall, results = _ruff_gates(root, env, "--changed-since", "HEAD")
        given["files"] = results["ruff-check"].get("files")  # type: ignore[attr-defined]
        return wall

    def hooks() -> float:
        started = time.perf_counter()
        done = subprocess.run(
            [prek, "run", "--files", changed], cwd=root, env=env, capture_output=True, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"prek failed in {root}:\n{done.stdout.decode()[-2000:]}")
        return time.perf_counter() - started

    cases: dict[str, Callable[[], float]] = {"whole": whole, "changed": since, "prek": hooks}
    times: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    count = 0
    for round_ in range(runs + 1):  # round 0 warms ruff's caches and prek's, untimed
        order = names[round_ % 3 :] + names[: round_ % 3]
        for name in order:
            count += 1
            _touch(root, changed, count, env)
            seconds = cases[name]()
            if round_:
                times[name].append(seconds)
    if given.get("files") != [changed]:
        raise SystemExit(f"--changed-since gave ruff {given.get('files')}, not [{changed!r}]")
    whole_s, changed_s, prek_s = (statistics.median(times[n]) for n in names)
    return [
        f"(e) one changed file ({changed}), ruff-check + ruff-format, median of {runs}:",
        (
            f"    whole run {whole_s:.2f} s, --changed-since HEAD {changed_s:.2f} s, "
            f"prek run --files {prek_s:.2f} s"
        ),
        (
            f"    --changed-since / whole = {changed_s / whole_s:.2f}x; "
            f"--changed-since / prek = {changed_s / prek_s:.2f}x"
        ),
    ]


def main() -> None:
    """Measure on this repository and on a larger library, side by side."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warm", type=int, default=5, help="warm runs per round [5]")
    parser.add_argument("--library", action="append", help=f"library to copy {LIBRARIES}")
    parser.add_argument("--no-self", action="store_true", help="leave this repository out")
    parser.add_argument("--skip", action="append", help="gate to leave out [pip-audit]")
    parser.add_argument("--only-changed", action="store_true", help="measure (e) only")
    args = parser.parse_args()
    args.skip = ["pip-audit"] if args.skip is None else args.skip
    met = True
    with tempfile.TemporaryDirectory(prefix="hephaestus-bench-") as scratch:
        base = Path(scratch)
        if args.only_changed:
            for name in args.library or LIBRARIES:
                library = copy_library(name, base / name)
                print(f"\n== {name} from site-packages", flush=True)
                lines = changed_file_case(library, middle_file(library), args.runs, RUN_ENV)
                print("\n".join(lines), flush=True)
            return
        if not args.no_self:
            self_copy = clone_repository(base / "self")
            met &= measure("this repository", self_copy, args.runs, args.warm, args.skip)
        for name in args.library or LIBRARIES:
            library = copy_library(name, base / name)
            met &= measure(f"{name} from site-packages", library, args.runs, args.warm, args.skip)
    print("\ntargets met" if met else "\ntargets NOT met")


if __name__ == "__main__":
    main()

"""What telemetry costs: on against off, a dead collector against a live one, off against before.

Each case runs ``--runs`` times (default 15), interleaved round-robin (forwards, then backwards:
no case always runs right after another) so that machine noise hits every case alike; the
figures are medians. Targets (issue: OpenTelemetry):

- **on vs off**: ``hephaestus version`` exporting to a collector on 127.0.0.1 that answers,
  against the same command with no ``OTEL_*`` variable: the cost of turning telemetry on at all
  (importing the SDK, sending), <= 0.4 s. A guard-rails run (one ruff gate) shows the same cost
  where the command has work to overlap it with.
- **dead vs live collector**: the endpoint at a closed port, and at a server that accepts
  connections and never answers, against the answering collector: the wall time grows by
  <= 0.2 s, and the exit code is the same.
- **off vs before**: with no ``OTEL_*`` variable, the start-up cases of ``benchmarks/startup.py``
  against the source tree of ``--baseline`` (a git revision without telemetry, default
  ``HEAD``), each tree a copy put first on ``PYTHONPATH``: <= 2 % apart.

    uv run python benchmarks/telemetry.py [--runs N] [--baseline REV] [--only on|off]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple

BIN = Path(sys.executable).parent
HEPHAESTUS = str(BIN / "hephaestus")
ROOT = Path(__file__).resolve().parents[1]
ON_TARGET, DEAD_TARGET, OFF_TARGET = 0.4, 0.2, 0.02
STARTUP = {
    "--help": ["--help"],
    "version": ["version"],
    "--format json version": ["--format", "json", "version"],
    "schema": ["schema"],
}


class _Answering(BaseHTTPRequestHandler):
    """An OTLP/HTTP collector that takes everything and answers 200 at once."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        del format, args


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


class Result(NamedTuple):
    """One case's medians (wall time; CPU time of the process and its children), codes, stderr."""

    wall: float
    cpu: float
    codes: set[int]
    stderr: list[str]


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _time(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int, str]:
    started, cpu = time.perf_counter(), _cpu()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, _cpu() - cpu, done.returncode, done.stderr


def _repository(where: Path) -> Path:
    """Create a git repository with a Python file and a [tool.ruff] table (ruff's gate runs)."""
    root = where / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "b"\nversion = "0"\n[tool.ruff]\n')
    (root / "b.py").write_text('"""B."""\n\nVALUE = 1\n')
    identity = ["-c", "user.name=b", "-c", "user.email=b@example.invalid"]
    for args in (["init", "-q"], ["add", "-A"], [*identity, "commit", "-q", "-m", "b"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root


def _baseline(revision: str, where: Path) -> Path:
    """Extract ``src/`` of ``revision`` (``git archive``: the repository is not changed)."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, "src"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(where, filter="data")
    return where / "src"


def _measure(
    cases: dict[str, tuple[list[str], Path, dict[str, str]]], runs: int
) -> dict[str, Result]:
    """Run every case ``runs`` times, interleaved; return each one's :class:`Result`."""
    walls: dict[str, list[float]] = {name: [] for name in cases}
    cpus: dict[str, list[float]] = {name: [] for name in cases}
    codes: dict[str, set[int]] = {name: set() for name in cases}
    errors: dict[str, list[str]] = {name: [] for name in cases}
    for argv, cwd, env in cases.values():  # warm the page cache and bytecode once
        _time(argv, cwd, env)
    names = list(cases)
    for run in range(runs):  # ABBA: forwards, then backwards, so no case always goes first
        for name in names if run % 2 == 0 else reversed(names):
            argv, cwd, env = cases[name]
            wall, cpu, code, stderr = _time(argv, cwd, env)
            walls[name].append(wall)
            cpus[name].append(cpu)
            codes[name].add(code)
            errors[name] = stderr.splitlines()
    return {
        name: Result(
            statistics.median(walls[name]), statistics.median(cpus[name]), codes[name], errors[name]
        )
        for name in cases
    }


def _verdict(value: float, target: float, unit: str = "s") -> str:
    ok = value <= target
    return f"<= {target:g} {unit}  {'met' if ok else 'MISSED'}"


def _telemetry(runs: int, work: Path) -> bool:
    """On vs off, dead vs live collectors; print the table, return whether every target held."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answering)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(256)  # connections complete in the kernel; nobody ever reads or answers
    endpoints = {
        "answering": f"http://127.0.0.1:{server.server_address[1]}",
        "closed port": _closed_port(),
        "never answers": f"http://127.0.0.1:{silent.getsockname()[1]}",
    }
    off = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    repo = _repository(work)
    commands = {
        "version": ([HEPHAESTUS, "version"], work),
        "guard-rails": ([HEPHAESTUS, "guard-rails", "--gate", "ruff-check", "--no-cache"], repo),
    }
    cases = {}
    for command, (argv, cwd) in commands.items():
        cases[f"{command}: off"] = (argv, cwd, off)
        for name, endpoint in endpoints.items():
            cases[f"{command}: {name}"] = (
                argv,
                cwd,
                {**off, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint},
            )
    found = _measure(cases, runs)
    server.shutdown()
    silent.close()
    met = True
    print(f"{'case':<34}{'median ms':>10}{'vs':>24}  target")
    for command in commands:
        off_time, _, off_codes, _ = found[f"{command}: off"]
        live = found[f"{command}: answering"].wall
        print(f"{command + ': off':<34}{off_time * 1000:>10.0f}")
        for name in endpoints:
            seconds, _, codes, stderr = found[f"{command}: {name}"]
            if name == "answering":
                growth, target, against = seconds - off_time, ON_TARGET, "off"
            else:
                growth, target, against = seconds - live, DEAD_TARGET, "answering"
            ok = growth <= target and codes == off_codes
            met &= ok
            line = f"{command + ': ' + name:<34}{seconds * 1000:>10.0f}"
            line += f"{f'{growth * 1000:+.0f} ms vs {against}':>24}  {_verdict(growth, target)}"
            print(line + ("" if codes == off_codes else f"  EXIT CODES {codes} != {off_codes}"))
            warnings = [s for s in stderr if "telemetry" in s]
            if name != "answering" and len(warnings) != 1:
                print(f"  expected one telemetry warning, got {len(warnings)}")
                met = False
    return met


def _off_against(baseline: Path, revision: str, runs: int, work: Path) -> bool:
    """Telemetry off: this tree against ``baseline``'s, start-up cases; return whether <= 2 %.

    Both trees are copies put first on ``PYTHONPATH``: the same search path for every import.
    """
    off = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    current = work / "now" / "src"
    shutil.copytree(ROOT / "src", current, ignore=shutil.ignore_patterns("__pycache__"))
    before = {**off, "PYTHONPATH": str(baseline)}
    after = {**off, "PYTHONPATH": str(current)}
    cases = {}
    for name, args in STARTUP.items():
        cases[f"{name}: before"] = ([HEPHAESTUS, *args], work, before)
        cases[f"{name}: now"] = ([HEPHAESTUS, *args], work, after)
    found = _measure(cases, runs)
    met = True
    print(f"\n{'telemetry off, against ' + revision:<30}{'wall: before':>13}{'now':>6}{'diff':>8}"
          f"{'cpu: before':>13}{'now':>6}{'diff':>8}")  # fmt: skip
    for name in STARTUP:
        was, now = found[f"{name}: before"], found[f"{name}: now"]
        change, cpu_change = now.wall / was.wall - 1, now.cpu / was.cpu - 1
        met &= change <= OFF_TARGET
        print(f"{name:<30}{was.wall * 1000:>13.0f}{now.wall * 1000:>6.0f}{change:>+8.1%}"
              f"{was.cpu * 1000:>13.0f}{now.cpu * 1000:>6.0f}{cpu_change:>+8.1%}  "
              f"{_verdict(change * 100, OFF_TARGET * 100, '%')} (wall)")  # fmt: skip
    return met


def main() -> int:
    """Measure, print the tables, and return 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline", default="HEAD", help="a revision without telemetry")
    parser.add_argument("--only", choices=["on", "off"], help="measure one part only")
    options = parser.parse_args()
    met = True
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        if options.only != "off":
            met &= _telemetry(options.runs, work)
        if options.only != "on":
            baseline = _baseline(options.baseline, work / "baseline")
            met &= _off_against(baseline, options.baseline, options.runs, work)
    print(f"({options.runs} interleaved runs each, medians)")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

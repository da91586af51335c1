"""Writing the offline HTML report of ``tools refactor report --html`` for 2,000 files.

The repository is the deterministic synthetic history of ``benchmarks/analytics.py`` (its
``build``: --commits commits over --files Python files). The analysis runs once (its time is
printed): three ``tools refactor report`` runs store three hotspots snapshots (the page draws a
trend), the last one's JSON is the overview. Then, median of --runs:

(a) the writing step alone: ``write_report`` (``cli/report_html.py`` renders the overview,
    the bytes are written) in a new interpreter that has loaded the overview beforehand, so
    that the first call pays what the CLI pays (importing the module, reading plotly.js);
    a second call in the same process is shown beside it. Target: <= 1 s (the first call).
(b) for context, the whole CLI ``tools refactor report --html FILE`` and the same without
    ``--html``: their difference is what the HTML costs a user.

    uv run python benchmarks/report_html.py [--files 2000] [--commits 3000] [--runs 7]
        [--keep DIR] [--against DIR]

--against DIR also times (a) with another checkout's ``DIR/src`` imported by this interpreter
(e.g. a clone at the commit before a change), interleaved with this checkout's runs.
--keep DIR shares analytics.py's layout (DIR/<commits>x<files>/repo). Bytecode is written as for
a user, but under the work folder (``PYTHONPYCACHEPREFIX``), and one untimed round runs first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # benchmarks.analytics: the same synthetic history

from benchmarks.analytics import RUN_ENV, SINCE, repository  # noqa: E402

HEPHAESTUS = str(Path(sys.executable).parent / "hephaestus")
TARGET = 1.0
REPORT = [HEPHAESTUS, "tools", "refactor", "report", "--since", SINCE]
PROBE = """
import json, sys, time
from pathlib import Path
from hephaestus.analytics.overview import RefactorOverview
overview = RefactorOverview.model_validate_json(Path(sys.argv[1]).read_text(encoding="utf-8"))
started = time.perf_counter()
from hephaestus.cli.tools_report import write_report
size = write_report(overview, Path(sys.argv[2]))
first = time.perf_counter() - started
started = time.perf_counter()
write_report(overview, Path(sys.argv[2]))
print(json.dumps([first, time.perf_counter() - started, size]))
"""
"""Load the overview, then time ``write_report`` twice: a new process's first call, a repeat."""


def _write(overview: Path, target: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Run PROBE in a new interpreter; return (first call s, repeated call s, bytes)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(overview), str(target)],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    first, again, size = json.loads(done.stdout)
    return first, again, size


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - started


def _analyse(root: Path, overview: Path, env: dict[str, str]) -> float:
    """Store three snapshots (a trend); write the last overview as JSON; return its seconds."""
    for _ in range(2):
        _timed(REPORT, root, env)
    started = time.perf_counter()
    done = subprocess.run(
        [HEPHAESTUS, "--format", "json", *REPORT[1:]],
        cwd=root, check=True, capture_output=True, env=env,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    overview.write_bytes(done.stdout)
    return seconds


def _mib(size: float) -> str:
    return f"{size / 2**20:.2f} MiB"


def main() -> int:
    """Build, measure, print the table; exit 1 if the writing step misses its target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2_000)
    parser.add_argument("--commits", type=int, default=3_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the repository here once, reuse it")
    parser.add_argument("--against", type=Path, help="another checkout: time its src/ too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = repository(args.keep, Path(tmp), commits=args.commits, files=args.files)
        where = root.parent
        env = {**RUN_ENV, "PYTHONPYCACHEPREFIX": str(where / "pycache")}
        overview, page = where / "overview.json", Path(tmp) / "report.html"
        analysis = _analyse(root, overview, env)
        files = len(json.loads(overview.read_text(encoding="utf-8"))["files"])
        print(f"analysis (tools refactor report, JSON): {analysis:.2f} s, {files} files")
        checkouts = {"this checkout": env}
        if args.against:
            src = str(args.against.resolve() / "src")
            checkouts[f"--against {args.against}"] = {**env, "PYTHONPATH": src}
        rows: dict[str, list[tuple[float, float, int]]] = {name: [] for name in checkouts}
        cli: dict[str, list[float]] = {"--html": [], "no --html": []}
        html = [*REPORT, "--html", str(page)]
        for round_ in range(args.runs + 1):  # round 0 writes bytecode: untimed
            for name, run_env in checkouts.items():
                measured = _write(overview, page, run_env)
                if round_:
                    rows[name].append(measured)
            with_html, without = _timed(html, root, env), _timed(REPORT, root, env)
            if round_:
                cli["--html"].append(with_html)
                cli["no --html"].append(without)
        print(f"\nwriting the HTML (write_report), median of {args.runs}:")
        print(f"{'':32} {'first call':>11} {'repeated':>9} {'file':>10}")
        failed = False
        for name, figures in rows.items():
            first = statistics.median(f[0] for f in figures)
            again = statistics.median(f[1] for f in figures)
            print(f"{name:32} {first:9.3f} s {again:7.3f} s {_mib(figures[-1][2]):>10}")
            if name == "this checkout":
                failed = first > TARGET
                verdict = "missed" if failed else "met"
                print(f"{'':32} target <= {TARGET:.1f} s: {verdict}")
        med = {k: statistics.median(v) for k, v in cli.items()}
        print(f"\nCLI tools refactor report --html: {med['--html']:.2f} s; "
              f"without --html: {med['no --html']:.2f} s "
              f"(the HTML adds {med['--html'] - med['no --html']:.2f} s)")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""``hephaestus mcp``: start-to-ready, a fully cached guard_rails call, the size of tools/list.

Everything through the MCP SDK's own client, the server started as a subprocess over stdio as
an MCP client configuration starts it (``python -m hephaestus mcp --root REPO``), on a small
git repository made in a temporary directory: a package, its tests, ``[tool.ruff]``, and a
``.venv`` holding pytest and ruff (linked from this environment by the tests' ``make_venv``,
offline, in milliseconds), where guard-rails finds them itself.

(a) start-to-ready: spawn until the server answered the client's opening request, median of
    --runs, for a 2025 client (``initialize``) and a 2026 one (``server/discover``); baseline:
    ``python -c "import mcp"``. Target (issue 16): <= 1.5 s.
(b) a fully cached ``guard_rails`` call, end to end (request sent to result received), in one
    session after one call that stored every gate's pass, median of --calls. Target: <= 0.3 s.
    Every gate must be reported cached.
(c) ``tools/list``: characters of its JSON and tokens (characters / 4), for the default tool set
    and with every tool. Target: default <= 2,000 tokens.

    uv run python benchmarks/mcp.py [--runs N] [--calls N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Run as a script, this file's directory comes first on sys.path, and its name is the SDK's:
# take the directory off, and put the repository on (for the tests' venv and git helpers).
sys.path[:] = [str(HERE.parent), *(p for p in sys.path if Path(p or ".").resolve() != HERE)]

import anyio  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402
from tests.gates.seeded import build  # noqa: E402
from tests.venvs import make_venv  # noqa: E402

from mcp import Client, StdioServerParameters  # noqa: E402

FILES = {
    ".gitignore": ".venv/\n__pycache__/\n",
    "pyproject.toml": '[project]\nname = "demo"\nversion = "0"\n'
    '[dependency-groups]\ndev = ["pytest", "ruff"]\n'
    '[tool.ruff.lint]\nselect = ["F", "E", "I"]\n[tool.ruff.format]\nquote-style = "double"\n'
    '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["src"]\n',
    "src/demo/__init__.py": '"""Demo."""\n',
    "src/demo/core.py": '"""Core."""\n\n\ndef double(value: int) -> int:\n    return value * 2\n',
    "tests/test_core.py": "from demo.core import double\n\n\ndef test_double():\n"
    "    assert double(2) == 4\n",
}
TARGETS = {"start": 1.5, "cached": 0.3, "tokens": 2000}


def _parameters(root: Path, *args: str) -> StdioServerParameters:
    env = {k: os.environ[k] for k in ("HOME", "PATH", "LANG") if k in os.environ}
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "hephaestus", "mcp", "--root", str(root), *args],
        cwd=root,
        env=env,
    )


QUIET = Path(os.devnull).open("w")  # noqa: SIM115  # the servers' stderr, for the whole run


async def _ready(root: Path, mode: Any) -> float:  # noqa: ANN401  # the client's mode literal
    """Return the seconds from spawning the server to its answer to the opening request."""
    started = time.perf_counter()
    async with Client(stdio_client(_parameters(root), errlog=QUIET), mode=mode):
        return time.perf_counter() - started


def start_to_ready(root: Path, runs: int) -> dict[str, list[float]]:
    """Measure (a): interleaved samples of the import baseline and both eras' start-up."""
    samples: dict[str, list[float]] = {"baseline": [], "legacy": [], "auto": []}
    for _ in range(runs + 1):  # the first round warms the page cache and bytecode
        began = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import mcp"], check=True)
        samples["baseline"].append(time.perf_counter() - began)
        for mode in ("legacy", "auto"):
            samples[mode].append(anyio.run(_ready, root, mode))
    return {name: values[1:] for name, values in samples.items()}


async def _cached_calls(root: Path, calls: int) -> tuple[list[float], list[str]]:
    """Measure (b): store the passes with one call, then time ``calls`` cached ones."""
    async with Client(stdio_client(_parameters(root), errlog=QUIET)) as client:
        first = await client.call_tool("guard_rails", {})
        results = first.structured_content["results"]
        if first.is_error or any(r["status"] not in {"passed", "skipped"} for r in results):
            raise SystemExit(f"the first guard_rails call did not pass: {results}")
        ran = [r["name"] for r in results if r["status"] != "skipped"]
        times: list[float] = []
        for _ in range(calls):
            started = time.perf_counter()
            result = await client.call_tool("guard_rails", {})
            times.append(time.perf_counter() - started)
            statuses = {r["name"]: r["status"] for r in result.structured_content["results"]}
            if missed := [name for name in ran if statuses[name] != "cached"]:
                raise SystemExit(f"not cached: {missed}")
    return times, ran


async def _listing(root: Path, *args: str) -> int:
    """Measure (c): the characters of ``tools/list``'s JSON."""
    async with Client(stdio_client(_parameters(root, *args), errlog=QUIET)) as client:
        listed = await client.list_tools()
    return len(listed.model_dump_json(by_alias=True, exclude_none=True))


def _verdict(value: float, target: float) -> str:
    return f"<= {target:g}  {'met' if value <= target else 'MISSED'}"


def main() -> int:
    """Measure, print the figures, and return 1 if a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--calls", type=int, default=15)
    options = parser.parse_args()
    missed = False
    with tempfile.TemporaryDirectory() as base:
        root = build(Path(base) / "repo", FILES)
        make_venv(root / ".venv", tools=("pytest", "ruff"))
        starts = start_to_ready(root, options.runs)
        cached, gates = anyio.run(_cached_calls, root, options.calls)
        default = anyio.run(_listing, root)
        every = anyio.run(_listing, root, "--all-tools")
    baseline = statistics.median(starts["baseline"])
    print(f"(a) start-to-ready, median of {options.runs}")
    label = 'python -c "import mcp" (baseline)'
    print(f"    {label:<40}{baseline:>8.3f} s")
    for mode, label in (("legacy", "2025 client: initialize"), ("auto", "2026 client: discover")):
        median = statistics.median(starts[mode])
        missed |= median > TARGETS["start"]
        ratio = f"{median / baseline:.2f}x baseline"
        print(f"    {label:<40}{median:>8.3f} s  {ratio}  {_verdict(median, TARGETS['start'])}")
    median = statistics.median(cached)
    missed |= median > TARGETS["cached"]
    print(f"(b) cached guard_rails call ({', '.join(gates)} cached), median of {options.calls}")
    print(f"    {'end to end':<40}{median:>8.3f} s  {_verdict(median, TARGETS['cached'])}")
    missed |= default / 4 > TARGETS["tokens"]
    print("(c) tools/list")
    print(f"    {'default tool set':<40}{default:>8} chars {default / 4:>6.0f} tokens  ", end="")
    print(_verdict(default / 4, TARGETS["tokens"]))
    print(f"    {'every tool (--all-tools)':<40}{every:>8} chars {every / 4:>6.0f} tokens")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

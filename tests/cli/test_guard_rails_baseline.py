"""Hold-the-line end to end: real ruff and mypy on a repository with 500+ findings, baselined."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any, Final

import pytest
from tests.gates.reports.sarif_schema import schema_errors
from tests.gates.seeded import build
from tests.gitrepo import git
from tests.venvs import make_venv

from hephaestus.core.errors import ExitCode
from hephaestus.gates.baseline import DEFAULT_FILE
from hephaestus.gates.finding_keys import FINGERPRINT_KEY

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli

MODULES: Final = 12
UNUSED: Final = (
    "abc",
    "ast",
    "base64",
    "bisect",
    "calendar",
    "codecs",
    "collections",
    "contextlib",
    "copy",
    "csv",
    "dataclasses",
    "decimal",
    "difflib",
    "enum",
    "fnmatch",
    "fractions",
    "functools",
    "glob",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "inspect",
    "io",
)
PYPROJECT: Final = """\
[project]
name = "legacy"
version = "0"

[tool.ruff.lint]
select = ["F"]

[tool.mypy]
files = ["legacy"]
"""


def _module(index: int) -> str:
    """25 unused imports and 20 type errors: 45 findings per module."""
    imports = [f"import {name}" for name in UNUSED]
    errors = [f'value_{index}_{n}: int = "{n}"' for n in range(20)]
    return "\n".join([*imports, "", *errors]) + "\n"


@pytest.fixture
def legacy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed repository with 540 ruff and mypy findings and its own environment."""
    files = {f"legacy/mod_{i}.py": _module(i) for i in range(MODULES)}
    root = build(
        tmp_path / "legacy",
        {".gitignore": ".venv/\n", "pyproject.toml": PYPROJECT, "legacy/__init__.py": "", **files},
    )
    make_venv(root / ".venv", tools=("ruff", "mypy"))
    monkeypatch.chdir(root)
    return root


def _run(cli: Cli, *args: str) -> tuple[int, dict[str, Any]]:
    outcome = cli(
        "--format", "json", "guard-rails", "--gate", "ruff-check", "--gate", "mypy", *args
    )
    return outcome.exit_code, json.loads(outcome.stdout)


def _findings(report: dict[str, Any]) -> list[tuple[str, str, int]]:
    return sorted(
        (f["gate"], f["path"], f["line"]) for r in report["results"] for f in r["findings"]
    )


def _fingerprints(path: Path) -> Counter[tuple[str, str]]:
    """Each SARIF result's (baselineState, fingerprint), the log validated first."""
    log = json.loads(path.read_text(encoding="utf-8"))
    assert schema_errors(log) == []
    return Counter(
        (result.get("baselineState", "-"), result["partialFingerprints"][FINGERPRINT_KEY])
        for run in log["runs"]
        for result in run.get("results", [])
    )


def test_a_baseline_holds_the_line_through_moved_code(legacy: Path, cli: Cli) -> None:
    """Write, apply: nothing reported; move every line down 10 and add 5 problems: those 5."""
    code, first = _run(cli)
    assert code == ExitCode.FINDINGS
    total = len(_findings(first))
    assert total >= 500

    code, written = _run(cli, "--write-baseline")
    assert code == ExitCode.OK
    assert {r["name"]: r["status"] for r in written["results"]}["mypy"] == "baselined"
    assert written["baseline"]["written"] is True
    assert written["baseline"]["known"] == total
    entries = json.loads((legacy / DEFAULT_FILE).read_text())["entries"]
    assert sum(e["count"] for e in entries) == total
    assert not git(legacy, "status", "--porcelain", "--", "legacy", "pyproject.toml")

    code, held = _run(cli, "--baseline", DEFAULT_FILE, "--sarif", "before.sarif")
    assert code == ExitCode.OK
    assert _findings(held) == []
    assert (held["baseline"]["new"], held["baseline"]["known"]) == (0, total)
    before = _fingerprints(legacy / "before.sarif")
    assert sum(before.values()) == total
    assert {state for state, _ in before} == {"unchanged"}

    for index in range(MODULES):
        path = legacy / "legacy" / f"mod_{index}.py"
        path.write_text("# moved\n" * 10 + path.read_text(encoding="utf-8"), encoding="utf-8")
    with (legacy / "legacy" / "mod_0.py").open("a", encoding="utf-8") as module:
        module.write('import zipfile\nimport zlib\nimport uuid\nnew_a: int = "a"\nnew_b: str = 1\n')
    code, after = _run(cli, "--baseline", DEFAULT_FILE, "--sarif", "after.sarif")
    assert code == ExitCode.FINDINGS
    end = 10 + len(_module(0).splitlines())
    assert _findings(after) == [
        ("mypy", "legacy/mod_0.py", end + 4),
        ("mypy", "legacy/mod_0.py", end + 5),
        ("ruff-check", "legacy/mod_0.py", end + 1),
        ("ruff-check", "legacy/mod_0.py", end + 2),
        ("ruff-check", "legacy/mod_0.py", end + 3),
    ]
    assert (after["baseline"]["new"], after["baseline"]["known"], after["baseline"]["fixed"]) == (
        5,
        total,
        0,
    )
    moved = _fingerprints(legacy / "after.sarif")
    assert Counter({k: n for k, n in moved.items() if k[0] == "unchanged"}) == before
    assert sum(n for (state, _), n in moved.items() if state == "new") == 5


def test_fixed_entries_are_reported_then_pruned(legacy: Path, cli: Cli) -> None:
    """A removed module's entries are fixed (exit 0); --write-baseline then drops them."""
    assert _run(cli, "--write-baseline")[0] == ExitCode.OK
    (legacy / "legacy" / "mod_3.py").unlink()
    code, report = _run(cli, "--baseline", DEFAULT_FILE)
    assert code == ExitCode.OK
    assert report["baseline"]["fixed"] == len(UNUSED) + 20
    assert {e["path"] for e in report["baseline"]["fixed_entries"]} == {"legacy/mod_3.py"}
    code, rewritten = _run(cli, "--write-baseline", "--baseline", DEFAULT_FILE)
    assert code == ExitCode.OK
    assert rewritten["baseline"]["fixed"] == len(UNUSED) + 20
    entries = json.loads((legacy / DEFAULT_FILE).read_text())["entries"]
    assert "legacy/mod_3.py" not in {e["path"] for e in entries}


@pytest.mark.usefixtures("legacy")
def test_a_baselined_failure_is_never_cached_as_a_pass(cli: Cli) -> None:
    """After baselined runs, a run without the baseline still fails on every finding."""
    _run(cli, "--write-baseline")
    _run(cli, "--baseline", DEFAULT_FILE)
    code, report = _run(cli)
    assert code == ExitCode.FINDINGS
    statuses = {r["name"]: r["status"] for r in report["results"]}
    assert (statuses["ruff-check"], statuses["mypy"]) == ("failed", "failed")
    assert len(_findings(report)) >= 500


def test_configured_baseline_applies_and_text_says_what_it_did(legacy: Path, cli: Cli) -> None:
    """`baseline` in pyproject applies without a flag; the text counts baselined and fixed."""
    config = legacy / "pyproject.toml"
    config.write_text(
        config.read_text() + '\n[tool.hephaestus.guard-rails]\nbaseline = "debt.json"\n'
    )
    assert cli("guard-rails", "--gate", "ruff-check", "--write-baseline").exit_code == 0
    assert (legacy / "debt.json").is_file()
    outcome = cli("guard-rails", "--gate", "ruff-check")
    assert outcome.exit_code == ExitCode.OK
    assert f"0 new findings, {len(UNUSED) * MODULES} baselined (not shown), 0 fixed" in (
        outcome.stdout
    )


def test_a_missing_baseline_or_a_foreign_file_is_a_usage_error(legacy: Path, cli: Cli) -> None:
    """No baseline file, or --write-baseline over a file that is not one: exit 2, untouched."""
    outcome = cli("guard-rails", "--gate", "ruff-check", "--baseline", "none.json")
    assert outcome.exit_code == ExitCode.USAGE
    assert "--write-baseline" in outcome.stderr
    before = (legacy / "pyproject.toml").read_bytes()
    outcome = cli("guard-rails", "--write-baseline", "--baseline", "pyproject.toml")
    assert outcome.exit_code == ExitCode.USAGE
    assert (legacy / "pyproject.toml").read_bytes() == before

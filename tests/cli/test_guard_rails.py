"""guard-rails end to end: real tools on seeded repositories, reports, exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from tests.gates.reports.sarif_schema import schema_errors
from tests.gates.seeded import CLEAN, MESSY, build
from tests.venvs import make_venv

from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from tests.conftest import Cli

CONFIG = """
[tool.hephaestus.guard-rails]
skip = ["pip-audit"]  # its vulnerability service is unreachable here (tested on its own)

[tool.hephaestus.guard-rails.gate.pytest]
coverage-threshold = 90
"""
CHECKED = ["mypy", "pytest", "ruff-check", "ruff-format", "yamllint"]
TOOLS = ("mypy", "pytest", "pytest-cov", "ruff", "yamllint")
HEPHAESTUS = str(Path(sys.executable).parent / "hephaestus")


def _seed(root: Path, files: dict[str, str]) -> Path:
    """Build the seeded repository with its own environment (tools linked, see tests/venvs.py)."""
    build(root, {**files, "pyproject.toml": files["pyproject.toml"] + CONFIG})
    make_venv(root / ".venv", tools=TOOLS, editable=root)
    return root


def _guard_rails(cli: Cli, *args: str) -> tuple[int, dict[str, Any], str]:
    outcome = cli("--format", "json", "guard-rails", *args)
    return outcome.exit_code, json.loads(outcome.stdout), outcome.stderr


@pytest.fixture
def messy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seeded repository with a problem for every gate, as the current directory."""
    root = _seed(tmp_path / "messy", MESSY)
    monkeypatch.chdir(root)
    return root


@pytest.mark.usefixtures("messy")
def test_every_gate_reports_its_problem_with_file_and_line(cli: Cli) -> None:
    """Lint, format, type, test, coverage and YAML problems each fail their gate, exit 1."""
    code, report, _ = _guard_rails(cli)
    assert code == ExitCode.FINDINGS
    results = {r["name"]: r for r in report["results"]}
    assert {name: results[name]["status"] for name in CHECKED} == dict.fromkeys(CHECKED, "failed")
    located = {
        name: {
            (f["path"], f["line"]) for f in results[name]["findings"] if f["severity"] == "error"
        }
        for name in CHECKED
    }
    assert ("src/demo/core.py", 3) in located["ruff-check"]
    assert any(path == "src/demo/fmt.py" for path, _ in located["ruff-format"])
    assert ("src/demo/core.py", 8) in located["mypy"]
    assert ("tests/test_core.py", 11) in located["pytest"]
    assert ("config.yaml", 3) in located["yamllint"]
    coverage = [f for f in results["pytest"]["findings"] if f["path"] == "src/demo/extra.py"]
    assert coverage
    assert coverage[0]["line"] == 4
    assert any("below the threshold 90" in f["message"] for f in results["pytest"]["findings"])
    assert results["pip-audit"]["status"] == "skipped"


def test_reports_validate_parse_and_escape(cli: Cli, messy: Path) -> None:
    """SARIF validates against the 2.1.0 schema, JUnit parses, annotations are escaped."""
    code, report, stderr = _guard_rails(
        cli, "--sarif", "out.sarif", "--junit", "out.xml", "--github-annotations"
    )
    assert code == ExitCode.FINDINGS
    sarif = json.loads((messy / "out.sarif").read_text())
    assert schema_errors(sarif) == []
    assert {run["tool"]["driver"]["name"] for run in sarif["runs"]} >= set(CHECKED)
    suites = ET.parse(messy / "out.xml").getroot().findall("testsuite")  # noqa: S314  # our own file
    assert {s.get("name") for s in suites} >= set(CHECKED)
    failing = {s.get("name") for s in suites if int(s.get("failures", "0")) > 0}
    assert failing == set(CHECKED)
    # In JSON mode stdout holds the one document, so the annotations went to stderr.
    lines = [line for line in stderr.splitlines() if line.startswith("::")]
    mypy = next(line for line in lines if "title=mypy%3A return-value" in line)
    assert mypy.startswith("::error file=src/demo/core.py,line=8,col=")
    assert all(re.fullmatch(r"::(error|warning|notice)( [^:]*)?::.*", line) for line in lines)
    total = sum(r["finding_count"] for r in report["results"])
    assert len(lines) == total


def test_fixed_repository_passes_then_is_cached(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same repository with its problems fixed exits 0; the next run runs nothing."""
    root = _seed(tmp_path / "clean", CLEAN)
    monkeypatch.chdir(root)
    code, report, stderr = _guard_rails(cli)
    assert code == ExitCode.OK, stderr
    assert {r["name"]: r["status"] for r in report["results"] if r["name"] in CHECKED} == (
        dict.fromkeys(CHECKED, "passed")
    )
    code, report, _ = _guard_rails(cli)
    assert code == ExitCode.OK
    assert {r["status"] for r in report["results"] if r["name"] in CHECKED} == {"cached"}
    (root / "config.yaml").write_text("---\nkey: changed\n")
    _, report, _ = _guard_rails(cli)
    ran = {r["name"] for r in report["results"] if r["status"] == "passed"}
    # pytest and ruff (Markdown, `include`) may read any file; mypy reads Python files only.
    assert ran == {"yamllint", "pytest", "ruff-check", "ruff-format"}


def test_fix_applies_ruff_fixes_and_check_writes_nothing(cli: Cli, messy: Path) -> None:
    """Without --fix no file changes; with --fix ruff's fixes and formatting are applied."""
    before = {p: p.read_bytes() for p in messy.rglob("*.py")}
    _guard_rails(cli, "--gate", "ruff-check", "--gate", "ruff-format")
    assert {p: p.read_bytes() for p in before} == before
    code, report, _ = _guard_rails(cli, "--gate", "ruff-check", "--gate", "ruff-format", "--fix")
    assert code == ExitCode.OK, report
    assert "import os" not in (messy / "src/demo/core.py").read_text()
    assert (messy / "src/demo/fmt.py").read_text().endswith('VALUE = {"a": 1}\n')


def test_missing_tools_fail_every_gate_with_a_hint(cli: Cli, messy: Path, tmp_path: Path) -> None:
    """A project environment without its tools: pytest and mypy could not run, with a hint.

    ruff and yamllint come from elsewhere (PATH, hephaestus' own) and the report says so.
    """
    venv = tmp_path / "bare"
    python = shutil.which("python3") or sys.executable
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    pyproject = messy / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.hephaestus.guard-rails]\n",
            f'[tool.hephaestus.guard-rails]\nenvironment = "{venv}"\n',
        )
    )
    code, report, _ = _guard_rails(cli)
    assert code == ExitCode.FINDINGS  # ruff and yamllint still ran and found the problems
    results = {r["name"]: r for r in report["results"]}
    for name in ("mypy", "pytest"):
        assert results[name]["status"] == "could-not-run", results[name]
        assert "not installed" in results[name]["reason"]
        assert "uv add --dev" in results[name]["hint"]
    for name in ("ruff-check", "ruff-format", "yamllint"):
        assert results[name]["status"] == "failed"
        assert results[name]["tool_origin"] in {"PATH", "hephaestus' environment"}


def test_text_output_of_the_installed_command(messy: Path) -> None:
    """The installed console script prints a summary table and each finding, exits 1."""
    done = subprocess.run(
        [HEPHAESTUS, "guard-rails", "--gate", "mypy", "--gate", "yamllint"],
        cwd=messy,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == ExitCode.FINDINGS, done.stderr
    assert re.search(r"^mypy +failed", done.stdout, re.MULTILINE)
    assert "src/demo/core.py:8:" in done.stdout
    assert "guard-rails failed:" in done.stdout
    assert re.search(r"^mypy: failed \(", done.stderr, re.MULTILINE)  # as each gate finished


@pytest.mark.usefixtures("messy")
def test_text_spells_the_reports_fields_as_flags(cli: Cli) -> None:
    """The report names request fields; text shows them as flags, JSON keeps the model's."""
    args = ("--gate", "ruff-check", "--gate", "ruff-format", "--fail-fast", "--jobs", "1")
    outcome = cli("guard-rails", *args)
    assert outcome.exit_code == ExitCode.FINDINGS
    assert re.search(
        r"^ruff-\w+: skipped \(0\.0 s\): stopped by --fail-fast$", outcome.stderr, re.MULTILINE
    )
    assert "`fail_fast`" not in outcome.stdout + outcome.stderr
    _, report, _ = _guard_rails(cli, *args)
    reasons = [r["reason"] for r in report["results"] if r["name"].startswith("ruff-")]
    assert reasons.count("stopped by `fail_fast`") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--gate", "nope"], "unknown gate 'nope'"),
        (["--sarif", "missing-dir/out.sarif"], "does not exist"),
        (["--jobs", "0"], "--jobs"),
        (["--profile", "nope"], "unknown QA profile 'nope' (known: none configured)"),
        (
            ["--sarif", "/proc/guard-rails.sarif"],
            "--sarif /proc/guard-rails.sarif: cannot write it",
        ),
    ],
)
@pytest.mark.usefixtures("messy")
def test_bad_input_exits_2_with_one_line(cli: Cli, args: list[str], message: str) -> None:
    """Unknown gates, unwritable report paths and bad numbers are usage errors."""
    outcome = cli("guard-rails", *args)
    assert outcome.exit_code == ExitCode.USAGE
    assert message in outcome.stderr
    assert "Traceback" not in outcome.stderr


@pytest.mark.parametrize("configured", [False, True])
def test_a_missing_environment_names_where_it_was_given(
    cli: Cli, messy: Path, *, configured: bool
) -> None:
    """--python nosuch blames the flag; environment = "nosuch" blames the key, not a flag."""
    if configured:
        pyproject = messy / "pyproject.toml"
        table = "[tool.hephaestus.guard-rails]\n"
        text = pyproject.read_text()
        assert table in text
        pyproject.write_text(text.replace(table, f'{table}environment = "nosuch"\n'))
    outcome = cli("guard-rails", *(() if configured else ("--python", "nosuch")))
    assert outcome.exit_code == ExitCode.USAGE
    named = "[tool.hephaestus.guard-rails] environment" if configured else "--python"
    assert outcome.stderr.startswith(f"error: {named} nosuch: no such interpreter")
    assert ("--python" in outcome.stderr) is not configured


def test_profile_runs_its_gates_and_names_itself(
    cli: Cli, messy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--profile applies the named profile: its gate runs and the report names the profile."""
    pyproject = messy / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + '\n[tool.hephaestus.analytics.profiles.lint]\ngates = ["ruff-format"]\n'
        + 'strictness = "lenient"\n'
    )
    monkeypatch.setenv("HEPHAESTUS_GUARD_RAILS__GATES", '["ruff-check"]')
    code, report, _ = _guard_rails(cli, "--profile", "lint")
    ran = {r["name"]: (r["status"], r["required"]) for r in report["results"]}
    assert ran["ruff-format"] == ("failed", True)  # the profile's gate: required
    assert ran["ruff-check"] == ("failed", False)  # configured, but lenient: optional
    assert ran["mypy"][0] == "skipped"
    assert report["profile"] == "lint"
    assert code == ExitCode.FINDINGS


def test_drift_and_auto_remediation_run_argument_lists(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--auto-remediate runs the exact argv (no shell) and checks again; drift stays exit 1."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "calls.txt"
    fake = bin_dir / "uv"
    fake.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"with open({str(record)!r}, 'a') as f:\n    f.write(repr(sys.argv[1:]) + '\\n')\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{Path(sys.executable).parent}:/usr/bin:/bin")
    root = build(
        tmp_path / "repo", {"pyproject.toml": '[dependency-groups]\ndev = ["ruff>=999"]\n'}
    )
    make_venv(root / ".venv", tools=("ruff",))
    monkeypatch.chdir(root)
    code, report, _ = _guard_rails(cli, "--gate", "ruff-check", "--auto-remediate")
    assert code == ExitCode.FINDINGS
    (entry,) = report["drift"]["entries"]
    assert (entry["tool"], entry["declared"], entry["verdict"]) == ("ruff", ">=999", "drift")
    expected = [["uv", "lock", "--upgrade-package", "ruff"], ["uv", "sync"]]
    assert [r["argv"] for r in report["drift"]["remediations"]] == expected
    assert record.read_text().splitlines() == [repr(argv[1:]) for argv in expected]
    assert sorted(p.name for p in root.iterdir()) == [
        ".git", ".hephaestus", ".venv", "pyproject.toml"
    ]  # fmt: skip

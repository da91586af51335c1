from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import pytest
from tests.gates.builtin.conftest import snapshot
from tests.gates.seeded import CLEAN, build

from hephaestus.core.errors import FIELD_REFERENCE
from hephaestus.core.proc import ProcessResult
from hephaestus.gates.builtin.mypy import Mypy
from hephaestus.gates.models import Severity
from hephaestus.gates.spec import GateError

if TYPE_CHECKING:
    from pathlib import Path

    from tests.gates.builtin.conftest import GateRunner


def test_reports_type_errors_where_they_are(messy: Path, run_gate: GateRunner) -> None:
    """Mypy's return-value error arrives with path, 1-based line and column, and its docs."""
    before = snapshot(messy)
    outcome = run_gate(Mypy(), messy)
    assert len(outcome.findings) == 1
    finding = outcome.findings[0]
    assert (finding.path, finding.line, finding.column) == ("src/demo/core.py", 8, 12)
    assert finding.rule == "return-value"
    assert finding.severity is Severity.error
    assert finding.help_url == "https://mypy.readthedocs.io/en/stable/_refs.html#code-return-value"
    assert snapshot(messy) == before


def test_clean_repository_passes(clean: Path, run_gate: GateRunner) -> None:
    """A clean repository has no mypy findings."""
    assert run_gate(Mypy(), clean).findings == ()


def test_targets_come_from_the_pre_commit_hook(tmp_path: Path, run_gate: GateRunner) -> None:
    """Without configured files, the mypy hook's file selection and args; never a guess."""
    hook = (
        "repos:\n- repo: https://github.com/pre-commit/mirrors-mypy\n  rev: v1.13.0\n"
        "  hooks:\n  - id: mypy\n    files: ^src/\n    args: [--strict]\n"
    )
    pyproject = CLEAN["pyproject.toml"].replace('[tool.mypy]\nfiles = ["src", "tests"]\n', "")
    files = {**CLEAN, "pyproject.toml": pyproject, ".pre-commit-config.yaml": hook}
    root = build(tmp_path / "repo", files)
    gate = Mypy()
    argv = gate.command(run_gate.context(gate, root))
    targets = ["src/demo/__init__.py", "src/demo/core.py"]
    assert list(argv[1:]) == ["--strict", "-O", "json", "--cache-dir", os.devnull, *targets]


def test_configured_files_mean_no_paths(clean: Path, run_gate: GateRunner) -> None:
    """With [tool.mypy] files, mypy gets no paths and checks what its config says."""
    gate = Mypy()
    argv = gate.command(run_gate.context(gate, clean, config={"args": ["--strict"]}))
    assert list(argv[1:]) == ["--strict", "-O", "json", "--cache-dir", os.devnull]
    assert run_gate(gate, clean).findings == ()


def test_nothing_to_check_is_an_error(tmp_path: Path, run_gate: GateRunner) -> None:
    """Configured, but nothing names what to check: not configured, and forced an error."""
    pyproject = CLEAN["pyproject.toml"].replace('files = ["src", "tests"]\n', "")
    root = build(tmp_path / "repo", {**CLEAN, "pyproject.toml": pyproject})
    gate = Mypy()
    context = run_gate.context(gate, root)
    assert "names no files" in (gate.configured(context) or "")
    with pytest.raises(GateError, match="cannot tell what mypy should check") as raised:
        gate.command(context)
    # A TOML key, not a request field: the CLI would have spelt `files` as --files.
    assert raised.value.hint is not None
    assert FIELD_REFERENCE.search(raised.value.hint) is None


def test_syntax_error_is_a_finding(tmp_path: Path, run_gate: GateRunner) -> None:
    """Mypy stops (exit 2) on a syntax error: reported as a finding at its line."""
    root = build(tmp_path / "repo", {**CLEAN, "src/demo/broken.py": "x = 1\ny = (\n"})
    findings = run_gate(Mypy(), root).findings
    assert [(f.rule, f.path, f.severity) for f in findings] == [
        ("syntax", "src/demo/broken.py", Severity.error)
    ]


OLD_MYPY_SYNTAX = [  # mypy 1.15 with -O json: blocking errors still come as text
    ("src/demo/broken.py:1: error: invalid syntax  [syntax]", 1, None),
    ("src/demo/broken.py:3:8: error: invalid syntax  [syntax]", 3, 8),  # --show-column-numbers
]


@pytest.mark.parametrize(("text", "line", "column"), OLD_MYPY_SYNTAX)
def test_syntax_error_printed_as_text_is_a_finding(
    clean: Path, run_gate: GateRunner, text: str, line: int, column: int | None
) -> None:
    """An older mypy's text syntax error (exit 2) is a finding, not "could not run" (pluggy)."""
    stdout = f"{text}\nFound 1 error in 1 file (errors prevented further checking)\n"
    gate = Mypy()
    outcome = gate.parse(run_gate.context(gate, clean), ProcessResult(("m",), 2, stdout, "", 0))
    (finding,) = outcome.findings
    assert (finding.rule, finding.path, finding.line, finding.column) == (
        "syntax", "src/demo/broken.py", line, column
    )  # fmt: skip
    assert (finding.severity, finding.message) == (Severity.error, "invalid syntax")


def test_other_blocking_error_printed_as_text_could_not_run(
    clean: Path, run_gate: GateRunner
) -> None:
    """An older mypy's text duplicate-module error stays "could not run", naming it."""
    stdout = (
        'b/m.py: error: Duplicate module named "m" (also at "a/m.py")\n'
        "b/m.py: note: See https://mypy.readthedocs.io/en/stable/running_mypy.html for more info\n"
        "Found 1 error in 1 file (errors prevented further checking)\n"
    )
    gate = Mypy()
    process = ProcessResult(("m",), 2, stdout, "", 0)
    with pytest.raises(GateError, match=r'mypy stopped: b/m.py: Duplicate module named "m"'):
        gate.parse(run_gate.context(gate, clean), process)


def test_bad_usage_could_not_run(clean: Path, run_gate: GateRunner) -> None:
    """An unknown option (exit 2, a usage message) raises GateError quoting mypy."""
    with pytest.raises(GateError, match="unrecognized arguments"):
        run_gate(Mypy(), clean, config={"args": ["--no-such-option"]})


def test_duplicate_module_could_not_run(tmp_path: Path, run_gate: GateRunner) -> None:
    """Exit 2 for a layout problem (a duplicate module) is "could not run", naming it."""
    root = build(tmp_path / "repo", {**CLEAN, "tests/core.py": "", "tests/sub/core.py": ""})
    with pytest.raises(GateError, match=r"mypy stopped: .*Duplicate module"):
        run_gate(Mypy(), root)


def _line(**fields: object) -> str:
    base: dict[str, object] = {"file": "a.py", "line": 1, "column": 0, "message": "m"}
    return json.dumps(base | {"hint": None, "code": None, "severity": "error"} | fields)


def test_parse_notes_hints_and_unknown_places(clean: Path, run_gate: GateRunner) -> None:
    """Notes stay notes, hints join the message on one line, -1 places become null."""
    stdout = "\n".join([
        _line(code="misc", severity="note", column=4),
        _line(line=-1, column=-1, hint="See this\n  or that", code="import-not-found"),
        "Found 1 error in 1 file (checked 1 source file)",
    ])  # fmt: skip
    gate = Mypy()
    outcome = gate.parse(run_gate.context(gate, clean), ProcessResult(("m",), 1, stdout, "", 0))
    note, error = outcome.findings
    assert (note.severity, note.column, note.line) == (Severity.note, 5, 1)
    assert (error.line, error.column, error.message) == (None, None, "m (See this or that)")


def test_only_notes_with_exit_1_fail(tmp_path: Path, run_gate: GateRunner) -> None:
    """A reveal_type() left in the code: mypy fails with a note only, so the note is an error."""
    root = build(tmp_path / "repo", {**CLEAN, "src/demo/peek.py": "reveal_type(1)\n"})
    (finding,) = run_gate(Mypy(), root).findings
    assert (finding.severity, finding.path, finding.line) == (Severity.error, "src/demo/peek.py", 1)
    assert finding.message.startswith("Revealed type is")


@pytest.mark.parametrize(
    ("returncode", "stdout", "match"),
    [(1, "", "exited with code 1"), (1, "{not json", "not its JSON"),
     (-9, "", "exited with code -9"), (2, "", "exited with code 2")],
)  # fmt: skip
def test_unexplained_results_could_not_run(
    clean: Path, run_gate: GateRunner, returncode: int, stdout: str, match: str
) -> None:
    """Exit 1 with no output, unparsable JSON, a signal or a bare exit 2 never pass."""
    gate = Mypy()
    process = ProcessResult(("mypy",), returncode, stdout, "", 0.1)
    with pytest.raises(GateError, match=match):
        gate.parse(run_gate.context(gate, clean), process)

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
from tests.gates.builtin.conftest import snapshot
from tests.gates.seeded import CLEAN, build

from hephaestus.core.proc import ProcessResult
from hephaestus.gates.builtin import ruff as ruff_module
from hephaestus.gates.builtin.ruff import RuffCheck, RuffFormat, formats_as_json
from hephaestus.gates.models import Severity
from hephaestus.gates.spec import GateError, standalone

if TYPE_CHECKING:
    from pathlib import Path

    from tests.gates.builtin.conftest import GateRunner


def test_check_reports_lint_errors_where_they_are(messy: Path, run_gate: GateRunner) -> None:
    """ruff-check reports the unused import with a relative path, 1-based place and rule URL."""
    before = snapshot(messy)
    outcome = run_gate(RuffCheck(), messy)
    unused = [f for f in outcome.findings if f.rule == "F401"]
    assert len(unused) == 1
    assert (unused[0].path, unused[0].line, unused[0].column) == ("src/demo/core.py", 3, 8)
    assert unused[0].severity is Severity.error
    assert unused[0].gate == "ruff-check"
    assert unused[0].help_url == "https://docs.astral.sh/ruff/rules/unused-import"
    assert snapshot(messy) == before


def test_format_reports_unformatted_files(messy: Path, run_gate: GateRunner) -> None:
    """ruff-format --check names each file it would change, and changes nothing."""
    before = snapshot(messy)
    outcome = run_gate(RuffFormat(), messy)
    assert {(f.path, f.rule) for f in outcome.findings} == {("src/demo/fmt.py", "unformatted")}
    assert all(f.line == 3 for f in outcome.findings)
    assert snapshot(messy) == before


@pytest.mark.parametrize("gate", [RuffCheck(), RuffFormat()], ids=lambda g: g.name)
def test_clean_repository_passes(
    clean: Path, run_gate: GateRunner, gate: RuffCheck | RuffFormat
) -> None:
    """Both ruff gates pass a clean repository."""
    assert run_gate(gate, clean).findings == ()


def test_check_fix_applies_fixes(messy_copy: Path, run_gate: GateRunner) -> None:
    """ruff-check --fix removes the unused import and reports nothing left."""
    outcome = run_gate(RuffCheck(), messy_copy, fix=True)
    assert outcome.findings == ()
    assert "import os" not in (messy_copy / "src/demo/core.py").read_text()


def test_format_fix_reformats(messy_copy: Path, run_gate: GateRunner) -> None:
    """ruff-format --fix rewrites the file; a check afterwards passes."""
    assert run_gate(RuffFormat(), messy_copy, fix=True).findings == ()
    assert (messy_copy / "src/demo/fmt.py").read_text().endswith('VALUE = {"a": 1}\n')
    assert run_gate(RuffFormat(), messy_copy).findings == ()


def test_commands_pass_no_paths_and_append_args(clean: Path, run_gate: GateRunner) -> None:
    """Ruff finds files itself; the args come first, the read-only (or --fix) mode last."""
    check = RuffCheck()
    argv = check.command(run_gate.context(check, clean, config={"args": ["--preview"]}))
    assert list(argv[1:]) == [
        "check", "--preview", "--no-cache", "--output-format", "json", "--no-fix"
    ]  # fmt: skip
    argv = check.command(run_gate.context(check, clean, fix=True))
    assert list(argv[1:]) == ["check", "--no-cache", "--output-format", "json", "--fix"]
    form = RuffFormat()
    assert list(form.command(run_gate.context(form, clean))[1:]) == [
        "format", "--no-cache", "--check", "--output-format", "json"
    ]  # fmt: skip
    assert list(form.command(run_gate.context(form, clean, fix=True))[1:]) == [
        "format", "--no-cache"
    ]  # fmt: skip


def test_hook_args_apply_without_their_fixing_flags(tmp_path: Path, run_gate: GateRunner) -> None:
    """A pre-commit ruff hook's args are used, but --fix and --unsafe-fixes never are."""
    hook = (
        "repos:\n- repo: https://github.com/astral-sh/ruff-pre-commit\n  rev: v0.8.0\n"
        "  hooks:\n  - id: ruff\n    args: [--fix, --unsafe-fixes, --preview]\n"
    )
    root = build(tmp_path / "repo", {**CLEAN, ".pre-commit-config.yaml": hook})
    check = RuffCheck()
    argv = list(check.command(run_gate.context(check, root)))
    assert argv[-1] == "--no-fix"
    assert "--preview" in argv
    assert not {"--fix", "--unsafe-fixes"} & set(argv)


def test_syntax_error_is_a_finding(tmp_path: Path, run_gate: GateRunner) -> None:
    """A file that does not parse is a finding of both gates, not "could not run"."""
    root = build(tmp_path / "repo", {**CLEAN, "src/demo/broken.py": "x = (\n"})
    for gate in (RuffCheck(), RuffFormat()):
        findings = run_gate(gate, root).findings
        assert [(f.rule, f.path) for f in findings] == [("invalid-syntax", "src/demo/broken.py")]


@pytest.mark.parametrize("gate", [RuffCheck(), RuffFormat()], ids=lambda g: g.name)
def test_bad_usage_could_not_run(
    clean: Path, run_gate: GateRunner, gate: RuffCheck | RuffFormat
) -> None:
    """Exit 2 (an unknown option) raises GateError quoting ruff's message."""
    with pytest.raises(GateError, match="exited with code 2") as raised:
        run_gate(gate, clean, config={"args": ["--no-such-option"]})
    assert raised.value.hint


def test_bad_configuration_could_not_run(tmp_path: Path, run_gate: GateRunner) -> None:
    """A broken ruff.toml makes ruff exit 2: could not run, for check and fix alike."""
    root = build(tmp_path / "repo", {**CLEAN, "ruff.toml": "line-length = 'x'\n"})
    with pytest.raises(GateError, match="exited with code 2"):
        run_gate(RuffCheck(), root)
    with pytest.raises(GateError, match="exited with code 2"):
        run_gate(RuffFormat(), root, fix=True)


def test_a_broken_nested_pyproject_is_named(tmp_path: Path, run_gate: GateRunner) -> None:
    """The chain of causes ruff prints gives the file it failed to parse, not only the error."""
    broken = {**CLEAN, "tools/pyproject.toml": "[tool.ruff\nline-length = 3\n"}
    root = build(tmp_path / "repo", broken)
    with pytest.raises(GateError) as raised:
        run_gate(RuffCheck(), root)
    message = str(raised.value)
    assert "exited with code 2: Failed to parse" in message
    assert "tools/pyproject.toml: " in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("returncode", "stdout", "match"),
    [(1, "[]", "reported no problems"), (1, "oops", "not its JSON"), (0, "{}", "not its JSON"),
     (101, "", "exited with code 101")],
)  # fmt: skip
def test_unexplained_results_could_not_run(
    clean: Path, run_gate: GateRunner, returncode: int, stdout: str, match: str
) -> None:
    """A problem exit without problems, unparsable output or a panic is never a pass."""
    gate = RuffCheck()
    process = ProcessResult(("ruff",), returncode, stdout, "", 0.1)
    with pytest.raises(GateError, match=match):
        gate.parse(run_gate.context(gate, clean), process)


def test_applies_only_to_python(tmp_path: Path, run_gate: GateRunner) -> None:
    """Without Python files the ruff gates do not apply; with them they do."""
    root = build(tmp_path / "repo", {"README.md": "# hi\n"})
    assert RuffCheck().applies(run_gate.context(RuffCheck(), root)) == "no Python files"
    (root / "x.py").write_text("")
    assert RuffFormat().applies(run_gate.context(RuffFormat(), root)) is None


def test_format_exit_2_without_a_syntax_error_could_not_run(
    clean: Path, run_gate: GateRunner
) -> None:
    """Exit 2 of ruff format is a finding only when its report shows a syntax error."""
    gate = RuffFormat()
    process = ProcessResult(("ruff",), 2, "[]", "error: something else", 0.1)
    with pytest.raises(GateError, match="something else"):
        gate.parse(run_gate.context(gate, clean), process)


# What ruff 0.11 to 0.15 print for `ruff format --check` (no JSON for the formatter yet).
OLD_FORMAT_ERR = "error: Failed to parse b.py:2:1: unexpected EOF while parsing\n"
OLD_FORMAT_OUT = "Would reformat: a.py\n1 file would be reformatted, 1 file already formatted\n"


@pytest.mark.parametrize(
    ("returncode", "stdout", "stderr", "expected"),
    [
        (0, "2 files already formatted\n", "", []),
        (1, OLD_FORMAT_OUT, "", [("unformatted", "a.py", None)]),
        (
            2,
            OLD_FORMAT_OUT,
            OLD_FORMAT_ERR,
            [("unformatted", "a.py", None), ("invalid-syntax", "b.py", 2)],
        ),
    ],
)
def test_an_older_ruff_s_format_text_is_read(
    clean: Path,
    run_gate: GateRunner,
    returncode: int,
    stdout: str,
    stderr: str,
    expected: list[tuple[str, str, int | None]],
) -> None:
    """Before 0.16 `ruff format` has no JSON: its text gives the same findings."""
    gate = RuffFormat()
    process = ProcessResult(("ruff",), returncode, stdout, stderr, 0.1)
    findings = gate.parse(run_gate.context(gate, clean), process).findings
    assert [(f.rule, f.path, f.line) for f in findings] == expected


@pytest.mark.parametrize(
    ("returncode", "stdout", "stderr"),
    [(1, "1 file already formatted\n", ""), (2, "", "error: unexpected argument")],
)
def test_an_older_ruff_s_unexplained_text_could_not_run(
    clean: Path, run_gate: GateRunner, returncode: int, stdout: str, stderr: str
) -> None:
    """Exit 1 without a file to reformat, or exit 2 without a parse error: could not run."""
    gate = RuffFormat()
    process = ProcessResult(("ruff",), returncode, stdout, stderr, 0.1)
    with pytest.raises(GateError):
        gate.parse(run_gate.context(gate, clean), process)


@pytest.mark.parametrize(
    ("version", "json"),
    [("0.11.11", False), ("0.15.9", False), ("0.16.0", True), ("unknown", True)],
)
def test_json_only_where_ruff_format_has_it(version: str, json: bool) -> None:
    """`--output-format json` is passed to ruff format from 0.16 on (preview before)."""
    assert formats_as_json(version) is json


@pytest.mark.parametrize(("version", "markdown"), [("0.15.9", False), ("0.16.0", True)])
def test_changed_markdown_goes_to_a_ruff_that_formats_it(
    tmp_path: Path,
    run_gate: GateRunner,
    monkeypatch: pytest.MonkeyPatch,
    version: str,
    *,
    markdown: bool,
) -> None:
    """A ruff before 0.16 refuses Markdown outside preview (it could not run): it gets none."""
    files = {**CLEAN, "README.md": "# Demo\n", "notes.txt": "hello\n", "conf.yaml": "a: 1\n"}
    root = build(tmp_path / "repo", files)
    gate = RuffFormat()
    found = standalone(run_gate.context(gate, root), "ruff", "ruff")
    monkeypatch.setattr(ruff_module, "standalone", lambda *_: replace(found, version=version))
    targets = ("README.md", "conf.yaml", "notes.txt", "pyproject.toml", "src/demo/__init__.py")
    chosen = gate.select_targets(run_gate.context(gate, root), targets)
    assert chosen == (("README.md",) if markdown else ()) + ("src/demo/__init__.py",)
    check = RuffCheck().select_targets(run_gate.context(RuffCheck(), root), targets)
    assert check == ("pyproject.toml", "src/demo/__init__.py")  # ruff lints pyproject.toml


def test_changed_files_under_a_linked_root_are_still_checked(
    tmp_path: Path, run_gate: GateRunner
) -> None:
    """Resolved paths from ruff: through a link to the root, no changed file may be dropped."""
    root = build(tmp_path / "repo", {**CLEAN, "src/demo/new.py": "import os\n"})
    link = tmp_path / "link"
    link.symlink_to(root)
    gate = RuffCheck()
    targets = ("src/demo/new.py",)
    assert gate.select_targets(run_gate.context(gate, link), targets) == targets

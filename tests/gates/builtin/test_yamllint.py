from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from tests.gates.builtin.conftest import snapshot
from tests.gates.seeded import CLEAN, build

from hephaestus.core.proc import ProcessResult
from hephaestus.gates.builtin.yamllint import Yamllint
from hephaestus.gates.models import Severity
from hephaestus.gates.spec import GateError

if TYPE_CHECKING:
    from pathlib import Path

    from tests.gates.builtin.conftest import GateRunner

DOCS = "https://yamllint.readthedocs.io/en/stable/rules.html#module-yamllint.rules."


def test_reports_problems_where_they_are(messy: Path, run_gate: GateRunner) -> None:
    """Errors arrive with path, line, column, rule and the rule's documentation."""
    before = snapshot(messy)
    findings = run_gate(Yamllint(), messy).findings
    assert [(f.rule, f.path, f.line, f.column, f.severity) for f in findings] == [
        ("key-duplicates", "config.yaml", 3, 1, Severity.error),
        ("commas", "config.yaml", 4, 10, Severity.error),
    ]
    assert findings[0].help_url == f"{DOCS}key_duplicates"
    assert findings[0].message == 'duplication of key "key" in mapping'
    assert snapshot(messy) == before


def test_clean_repository_passes(clean: Path, run_gate: GateRunner) -> None:
    """A clean repository has no yamllint findings."""
    assert run_gate(Yamllint(), clean).findings == ()


def test_warnings_pass_unless_strict(tmp_path: Path, run_gate: GateRunner) -> None:
    """A warning is a warning (exit 0); with --strict (exit 2) it fails the gate."""
    root = build(tmp_path / "repo", {"a.yml": "key: value\n"})
    (warning,) = run_gate(Yamllint(), root).findings
    assert (warning.rule, warning.severity) == ("document-start", Severity.warning)
    (strict,) = run_gate(Yamllint(), root, config={"args": ["--strict"]}).findings
    assert strict.severity is Severity.error


def test_syntax_error_has_no_rule_page(tmp_path: Path, run_gate: GateRunner) -> None:
    """A YAML syntax error is an error finding without a documentation link."""
    root = build(tmp_path / "repo", {"a.yaml": "---\na: [\n"})
    (finding,) = run_gate(Yamllint(), root).findings
    assert (finding.rule, finding.severity, finding.help_url) == ("syntax", Severity.error, None)


def test_command_lists_existing_yaml_files(tmp_path: Path, run_gate: GateRunner) -> None:
    """Only *.yaml/*.yml files that exist are passed, after the args and a "--"."""
    root = build(tmp_path / "repo", {**CLEAN, "ci/b.yml": "---\n", "gone.yaml": "---\n"})
    (root / "gone.yaml").unlink()
    gate = Yamllint()
    argv = gate.command(run_gate.context(gate, root, config={"args": ["-s"]}))
    assert list(argv[1:]) == ["-s", "-f", "parsable", "--", "ci/b.yml", "config.yaml"]


def test_applies_only_to_yaml(tmp_path: Path, run_gate: GateRunner) -> None:
    """Without YAML files the gate does not apply."""
    root = build(tmp_path / "repo", {"README.md": "# hi\n"})
    assert Yamllint().applies(run_gate.context(Yamllint(), root)) == "no YAML files"


def test_missing_config_could_not_run(clean: Path, run_gate: GateRunner) -> None:
    """A configuration file that does not exist crashes yamllint: exit 1, no findings, raise."""
    with pytest.raises(GateError, match="exited with code 1: FileNotFoundError"):
        run_gate(Yamllint(), clean, config={"args": ["-c", "no-such-config.yaml"]})


@pytest.mark.parametrize(
    ("returncode", "stdout", "match"),
    [(255, "", "exited with code 255"), (1, "garbage line", "unexpected line")],
)
def test_unexplained_results_could_not_run(
    clean: Path, run_gate: GateRunner, returncode: int, stdout: str, match: str
) -> None:
    """An unreadable file (exit -1) or output in another format is never a pass."""
    gate = Yamllint()
    process = ProcessResult(("yamllint",), returncode, stdout, "", 0.1)
    with pytest.raises(GateError, match=match):
        gate.parse(run_gate.context(gate, clean), process)

"""The six built-in gates: registered like plugins, declared fully, and a missing tool raises."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from hephaestus.gates.builtin.mypy import Mypy
from hephaestus.gates.builtin.pip_audit import PipAudit
from hephaestus.gates.builtin.pytest import Pytest
from hephaestus.gates.builtin.ruff import RuffCheck, RuffFormat
from hephaestus.gates.builtin.yamllint import Yamllint
from hephaestus.gates.environment import ToolEnvironment
from hephaestus.gates.registry import discover_gates
from hephaestus.gates.spec import NAME_PATTERN, Gate, GateError

if TYPE_CHECKING:
    from pathlib import Path

    from tests.gates.builtin.conftest import GateRunner

GATES: list[Gate[Any]] = [RuffCheck(), RuffFormat(), Mypy(), Pytest(), PipAudit(), Yamllint()]


def test_entry_points_load_the_builtin_classes() -> None:
    """Each built-in gate is found through the hephaestus.gates entry points."""
    found = discover_gates()
    for gate in GATES:
        assert type(found[gate.name]) is type(gate)


@pytest.mark.parametrize("gate", GATES, ids=lambda g: g.name)
def test_declarations(gate: Gate[Any]) -> None:
    """Name, description, tool, inputs and fix behaviour are declared."""
    assert NAME_PATTERN.match(gate.name)
    assert gate.description
    assert gate.tool
    assert gate.inputs
    assert gate.writes_with_fix is (gate.name in {"ruff-check", "ruff-format"})
    assert gate.cacheable is (gate.name != "pip-audit")
    assert all(url.startswith("https://github.com/") for url in gate.precommit_repos)


PROJECT_GATES = [g for g in GATES if g.imports_project]
STANDALONE = [g for g in GATES if not g.imports_project]


def test_which_gates_import_the_project() -> None:
    """pytest, mypy and pip-audit import the project; ruff and yamllint are standalone tools."""
    assert {g.name for g in PROJECT_GATES} == {"pytest", "mypy", "pip-audit"}


@pytest.mark.parametrize("gate", PROJECT_GATES, ids=lambda g: g.name)
def test_missing_tool_in_empty_bin_dir(
    gate: Gate[Any], clean: Path, tmp_path: Path, run_gate: GateRunner
) -> None:
    """A project environment without the tool's executable: tool-not-found with a hint."""
    empty = ToolEnvironment(tmp_path, tmp_path / "bin", (tmp_path / "site",))
    context = run_gate.context(gate, clean, environment=empty)
    with pytest.raises(GateError) as raised:
        gate.command(context)
    assert raised.value.code == "tool-not-found"
    assert f"uv add --dev {gate.tool}" in (raised.value.hint or "")


@pytest.mark.parametrize("gate", PROJECT_GATES, ids=lambda g: g.name)
def test_missing_tool_in_a_bare_venv(
    gate: Gate[Any], clean: Path, bare_venv: ToolEnvironment, run_gate: GateRunner
) -> None:
    """A real venv made without pip has none of the tools: command() and version() raise."""
    context = run_gate.context(gate, clean, environment=bare_venv)
    for hook in (gate.command, gate.version):
        with pytest.raises(GateError) as raised:
            hook(context)
        assert raised.value.code == "tool-not-found"


@pytest.mark.parametrize("gate", STANDALONE, ids=lambda g: g.name)
def test_a_standalone_tool_missing_from_the_project_comes_from_elsewhere(
    gate: Gate[Any], clean: Path, bare_venv: ToolEnvironment, run_gate: GateRunner
) -> None:
    """Ruff and yamllint missing from the project environment: PATH's, else hephaestus' own."""
    context = run_gate.context(gate, clean, environment=bare_venv)
    program = gate.command(context)[0]
    assert not program.startswith(str(bare_venv.prefix))
    assert gate.version(context) not in {"", "unknown"}

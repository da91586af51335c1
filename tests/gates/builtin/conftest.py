"""Real repositories and a runner that drives a built-in gate the way guard-rails does.

The runner builds a :class:`GateContext` (the running environment's tools, git's file list, a
private scratch directory, the parsed pyproject.toml), then runs ``gate.command`` through
:func:`hephaestus.core.proc.run` and hands the result to ``gate.parse``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from typing import TYPE_CHECKING, Any

import pytest
from tests.gates.seeded import CLEAN, MESSY, build
from tests.gitrepo import git

from hephaestus.core.proc import run
from hephaestus.gates.environment import ToolEnvironment
from hephaestus.gates.project import ProjectTools
from hephaestus.gates.spec import Gate, GateContext, Outcome

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from hephaestus.core.proc import ProcessResult


def repository_files(root: Path) -> tuple[str, ...]:
    """Tracked and untracked-not-ignored files, as guard-rails lists them."""
    listed = git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    return tuple(sorted(name for name in listed.decode().split("\0") if name))


def snapshot(root: Path) -> dict[str, bytes]:
    """The bytes of every file git lists: what a check must never change."""
    return {name: (root / name).read_bytes() for name in repository_files(root)}


class GateRunner:
    """Runs one gate on one repository: context, command, subprocess, parse."""

    def __init__(self, scratch_parent: Path) -> None:
        self._scratch_parent = scratch_parent
        self._count = 0

    def context(
        self,
        gate: Gate[Any],
        root: Path,
        *,
        config: Mapping[str, object] | None = None,
        fix: bool = False,
        environment: ToolEnvironment | None = None,
    ) -> GateContext[Any]:
        """Build the context guard-rails would give ``gate`` for ``root``."""
        self._count += 1
        scratch = self._scratch_parent / f"scratch-{self._count}"
        scratch.mkdir()
        pyproject = root / "pyproject.toml"
        parsed = tomllib.loads(pyproject.read_text()) if pyproject.is_file() else {}
        return GateContext(
            root=root,
            config=gate.config_model.model_validate(dict(config or {})),
            environment=environment or ToolEnvironment.running(),
            files=repository_files(root),
            fix=fix,
            scratch=scratch,
            pyproject=parsed,
            project=ProjectTools.read(root, parsed),
        )

    def process(self, gate: Gate[Any], context: GateContext[Any]) -> ProcessResult:
        """Run the gate's command in the repository, with the gate's own variables.

        Without them a nested pytest-cov run would write into the COVERAGE_FILE of the pytest
        gate that runs this suite (``hephaestus guard-rails`` on this repository).
        """
        env = gate.process_environment(context)
        return run(gate.command(context), cwd=context.root, timeout=120, env=env)

    def __call__(
        self,
        gate: Gate[Any],
        root: Path,
        *,
        config: Mapping[str, object] | None = None,
        fix: bool = False,
    ) -> Outcome:
        """Run ``gate`` on ``root`` and return what it parsed."""
        context = self.context(gate, root, config=config, fix=fix)
        return gate.parse(context, self.process(gate, context))


@pytest.fixture
def run_gate(tmp_path: Path) -> GateRunner:
    """A gate runner whose scratch directories live in this test's tmp_path."""
    return GateRunner(tmp_path)


@pytest.fixture(scope="session")
def messy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with every kind of problem the gates find. Shared: tests only read it.

    A lint error, a format difference, a type error, a failing test, uncovered code and YAML
    errors (see ``MESSY``); tests that let a gate write use ``messy_copy``.
    """
    return build(tmp_path_factory.mktemp("messy") / "repo", MESSY)


@pytest.fixture
def messy_copy(tmp_path: Path) -> Path:
    """A private copy of the messy repository, for tests that let a gate write."""
    return build(tmp_path / "messy", MESSY)


@pytest.fixture(scope="session")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository every gate passes. Shared: tests must only read it."""
    return build(tmp_path_factory.mktemp("clean") / "repo", CLEAN)


@pytest.fixture(scope="session")
def bare_venv(tmp_path_factory: pytest.TempPathFactory) -> ToolEnvironment:
    """A real virtual environment with no tools in it (made without pip)."""
    prefix = tmp_path_factory.mktemp("bare") / "venv"
    python = shutil.which("python3") or sys.executable
    subprocess.run([python, "-m", "venv", "--without-pip", str(prefix)], check=True, timeout=120)
    return ToolEnvironment.at(prefix)

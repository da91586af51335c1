"""Which environment runs a gate: the project's, found the way its tools would find it."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pytest
from tests.venvs import make_venv

from hephaestus.core.errors import ConfigError
from hephaestus.gates.environment import (
    ToolEnvironment,
    find_environment,
    is_own_environment,
    locate_tool,
)

if TYPE_CHECKING:
    from pathlib import Path

PROJECT = {"project": {"name": "demo"}}


def _find(root: Path, python: str | None = None, **environ: str) -> ToolEnvironment | None:
    return find_environment(root, python=python, pyproject=PROJECT, environ=environ).environment


def test_nothing_found_says_where_it_looked(tmp_path: Path) -> None:
    """No venv anywhere: no environment, and the places looked at are named."""
    search = find_environment(tmp_path, python=None, pyproject=PROJECT, environ={})
    assert search.environment is None
    assert str(tmp_path / ".venv") in search.missing()


@pytest.mark.parametrize("name", [".venv", "venv"])
def test_the_project_venv(tmp_path: Path, name: str) -> None:
    """The project's .venv (or venv) is its environment."""
    make_venv(tmp_path / name)
    found = _find(tmp_path)
    assert found is not None
    assert found.prefix == tmp_path / name


def test_uv_project_environment_wins_over_dot_venv(tmp_path: Path) -> None:
    """UV_PROJECT_ENVIRONMENT names where uv keeps the project's environment."""
    make_venv(tmp_path / ".venv")
    make_venv(tmp_path / "envs" / "uv")
    found = _find(tmp_path, UV_PROJECT_ENVIRONMENT="envs/uv")
    assert found is not None
    assert found.prefix == tmp_path / "envs" / "uv"


def test_an_active_venv_wins_over_dot_venv(tmp_path: Path) -> None:
    """An activated venv is the one the user means."""
    make_venv(tmp_path / ".venv")
    active = make_venv(tmp_path / "active")
    found = _find(tmp_path, VIRTUAL_ENV=str(active))
    assert found is not None
    assert found.prefix == active
    assert "VIRTUAL_ENV" in found.origin


def test_our_own_active_venv_is_skipped(tmp_path: Path) -> None:
    """Our own environment, active as uvx leaves it, is never taken for the project's."""
    make_venv(tmp_path / ".venv")
    found = _find(tmp_path, VIRTUAL_ENV=sys.prefix)
    assert found is not None
    assert found.prefix == tmp_path / ".venv"
    assert is_own_environment(ToolEnvironment.running().prefix)


def test_python_option_wins_and_may_name_a_venv_or_an_interpreter(tmp_path: Path) -> None:
    """--python names a venv directory or its interpreter; it beats every other place."""
    make_venv(tmp_path / ".venv")
    other = make_venv(tmp_path / "other")
    by_dir = _find(tmp_path, python="other")
    by_python = _find(tmp_path, python=str(other / "bin" / "python"))
    assert by_dir is not None
    assert by_python is not None
    assert by_dir.prefix == by_python.prefix == other


def test_python_option_may_name_a_system_interpreter(tmp_path: Path) -> None:
    """A plain interpreter (not a venv's) is asked for its prefix and site-packages."""
    found = _find(tmp_path, python=sys.executable)
    assert found is not None
    assert found.version_of("pytest") is not None


@pytest.mark.parametrize("python", ["missing", "pyproject.toml"])
def test_python_option_naming_nothing_usable_is_a_config_error(tmp_path: Path, python: str) -> None:
    """--python naming no interpreter, or a file that is not one: exit 2, one line."""
    (tmp_path / "pyproject.toml").write_text("")
    with pytest.raises(ConfigError):
        _find(tmp_path, python=python)


def test_pdm_records_its_interpreter(tmp_path: Path) -> None:
    """The .pdm-python file of pdm names the project's interpreter."""
    venv = make_venv(tmp_path / "pdm-env")
    (tmp_path / ".pdm-python").write_text(f"{venv / 'bin' / 'python'}\n")
    found = _find(tmp_path)
    assert found is not None
    assert found.prefix == venv


def test_a_standalone_tool_comes_from_the_project_first(tmp_path: Path) -> None:
    """The project environment's ruff is the one that runs, with its metadata's version."""
    venv = ToolEnvironment.at(make_venv(tmp_path / ".venv", tools=("ruff",)))
    found = locate_tool(venv, "ruff", "ruff")
    assert found is not None
    assert found.path.parent == venv.bin_dir
    assert found.version == ToolEnvironment.running().version_of("ruff")


def test_a_standalone_tool_on_path_says_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tool outside any Python environment is asked for its version; PATH beats ours."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "yamllint"
    tool.write_text("#!/bin/sh\necho 'yamllint 9.8.7'\n")
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    found = locate_tool(None, "yamllint", "yamllint")
    assert found is not None
    assert (found.path, found.version, found.origin) == (tool, "9.8.7", "PATH")


def test_a_standalone_tool_falls_back_to_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither the project nor PATH has ruff: hephaestus' own copy runs, and says so."""
    monkeypatch.setenv("PATH", str(tmp_path))
    found = locate_tool(None, "ruff", "ruff")
    assert found is not None
    assert found.origin == "hephaestus' environment"

"""tests/venvs.py: real venvs holding exactly the requested tools, made offline."""

from __future__ import annotations

import json
import os
import subprocess
from importlib import metadata
from typing import TYPE_CHECKING

import pytest
from tests.venvs import closure, make_venv, python_of, site_packages_of

if TYPE_CHECKING:
    from pathlib import Path


def _run(program: Path | str, *args: str, cwd: Path | None = None) -> str:
    """Run ``program`` without the test environment's variables leaking in; return stdout."""
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ["HOME"], "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [str(program), *args], capture_output=True, text=True, check=False, cwd=cwd, env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_pytest_runs_and_sees_only_its_closure(tmp_path: Path) -> None:
    """The venv's pytest runs; typer and hephaestus, installed here, are not importable there."""
    venv = make_venv(tmp_path / "venv", tools=["pytest"])
    project = tmp_path / "project"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (project / "test_it.py").write_text(
        "import importlib.util, sys\n\n"
        "def test_only_the_closure():\n"
        f"    assert sys.prefix == {str(venv)!r}\n"
        "    for name in ('typer', 'hephaestus', 'pydantic', 'pytest_cov'):\n"
        "        assert importlib.util.find_spec(name) is None, name\n"
        "    assert importlib.util.find_spec('pluggy') is not None\n",
        encoding="utf-8",
    )
    assert "1 passed" in _run(venv / "bin" / "pytest", "-q", "-p", "no:cacheprovider", cwd=project)


def test_ruff_and_mypy_run_from_the_venv(tmp_path: Path) -> None:
    """`ruff --version` (a linked binary) and `mypy --version` (a launcher) run from bin/."""
    venv = make_venv(tmp_path / "venv", tools=["ruff", "mypy"])
    assert _run(venv / "bin" / "ruff", "--version").split() == ["ruff", metadata.version("ruff")]
    assert _run(venv / "bin" / "mypy", "--version").startswith(f"mypy {metadata.version('mypy')}")
    assert (venv / "bin" / "mypy").read_text(encoding="utf-8").startswith(f"#!{python_of(venv)}\n")


def test_installed_versions_are_read_from_the_venv_site_packages(tmp_path: Path) -> None:
    """importlib.metadata in the venv reports the tools' versions; their dist-info sit in site."""
    venv = make_venv(tmp_path / "venv", tools=["pytest-cov"])
    code = (
        "import importlib.metadata as m, json, sys, sysconfig; site = sysconfig.get_path('purelib')"
        "; print(json.dumps({d.name: d.version for d in m.distributions(path=[site])}))"
    )
    found = json.loads(_run(python_of(venv), "-c", code))
    assert found["pytest"] == metadata.version("pytest")
    assert found["coverage"] == metadata.version("coverage")  # pytest-cov needs coverage[toml]
    assert "typer" not in found


def test_linked_metadata_cannot_be_uninstalled_through(tmp_path: Path) -> None:
    """Each dist-info is a real directory of links without RECORD: pip cannot remove the files."""
    venv = make_venv(tmp_path / "venv", tools=["iniconfig"])
    (info,) = site_packages_of(venv).glob("iniconfig-*.dist-info")
    assert info.is_dir()
    assert not info.is_symlink()
    assert (info / "METADATA").is_symlink()
    assert not (info / "RECORD").exists()
    assert (site_packages_of(venv) / "iniconfig").is_symlink()


def test_editable_project_is_importable_and_marked_editable(tmp_path: Path) -> None:
    """editable= puts src/ on the path and writes a dist-info whose direct_url says editable."""
    root = tmp_path / "repo"
    (root / "src" / "demo").mkdir(parents=True)
    (root / "src" / "demo" / "__init__.py").write_text("ANSWER = 42\n", encoding="utf-8")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "Demo-App"\nversion = "1.2"\n', encoding="utf-8"
    )
    venv = make_venv(root / ".venv", editable=root)
    code = (
        "import demo, importlib.metadata as m; d = m.distribution('demo-app')"
        "; print(demo.ANSWER, d.version, d.read_text('direct_url.json'))"
    )
    answer, version, direct_url = _run(python_of(venv), "-c", code).split(" ", 2)
    assert (answer, version) == ("42", "1.2")
    assert json.loads(direct_url) == {"url": root.as_uri(), "dir_info": {"editable": True}}


def test_long_paths_get_a_launcher_through_sh(tmp_path: Path) -> None:
    """A venv whose interpreter path is too long for a #! line still runs its scripts."""
    venv = make_venv(tmp_path.joinpath(*["deep" * 8] * 4, "venv"), tools=["pygments"])
    launcher = venv / "bin" / "pygmentize"
    assert launcher.read_text(encoding="utf-8").startswith("#!/bin/sh\n")
    assert metadata.version("pygments") in _run(launcher, "-V")


def test_closure_follows_requirements_markers_and_extras() -> None:
    """pytest-cov brings pytest and coverage; markers false here (Windows' colorama) stay out."""
    names = set(closure(["pytest-cov"]))
    assert {"pytest-cov", "pytest", "coverage", "pluggy", "iniconfig"} <= names
    assert "colorama" not in names
    assert "typer" not in names


def test_a_tool_not_installed_here_is_named() -> None:
    """A tool the test environment lacks is a LookupError naming it."""
    with pytest.raises(LookupError, match="no-such-tool"):
        closure(["no-such-tool"])

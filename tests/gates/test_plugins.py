"""Gate plugins, installed as pip installs them: a dist-info with entry_points.txt on sys.path."""

from __future__ import annotations

import json
import shutil
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from tests.gitrepo import git

from hephaestus.gates.registry import PluginError, discover_gates

if TYPE_CHECKING:
    from tests.conftest import Cli

EXAMPLE = Path(__file__).parents[2] / "examples" / "gate-plugin"
BUILTIN = ["mypy", "pip-audit", "pytest", "ruff-check", "ruff-format", "yamllint"]


def install(site: Path, name: str, version: str, entry_points: dict[str, str]) -> None:
    """Write the metadata an installer writes: METADATA and entry_points.txt in a dist-info."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = [f"{key} = {value}" for key, value in entry_points.items()]
    (info / "entry_points.txt").write_text("[hephaestus.gates]\n" + "\n".join(lines) + "\n")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private site directory on sys.path, forgotten after the test."""
    directory = tmp_path / "site"
    directory.mkdir()
    monkeypatch.syspath_prepend(str(directory))
    for module in [m for m in sys.modules if m.startswith(("hephaestus_forbid_todo", "broken_"))]:
        monkeypatch.delitem(sys.modules, module)
    return directory


@pytest.fixture
def example(site: Path) -> Path:
    """The documented example plugin (examples/gate-plugin), installed from its own metadata."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    shutil.copytree(EXAMPLE / "src" / "hephaestus_forbid_todo", site / "hephaestus_forbid_todo")
    entry_points = project["entry-points"]["hephaestus.gates"]
    install(site, project["name"], project["version"], entry_points)
    return site


def test_builtins_are_entry_points() -> None:
    """The built-in gates load through the same entry-point group as plugins."""
    assert list(discover_gates()) == BUILTIN


def test_example_plugin_runs_with_its_configuration(
    example: Path,  # noqa: ARG001  # installs the plugin
    tmp_path: Path,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The installed example gate runs with the pattern configured in pyproject.toml."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "pyproject.toml").write_text(
        '[tool.hephaestus.guard-rails]\ngates = ["forbid-todo"]\n'
        '[tool.hephaestus.guard-rails.gate.forbid-todo]\npattern = "HACK"\n'
    )
    (repo / "m.py").write_text("x = 1  # TODO: fine, not the configured pattern\ny = 2  # HACK\n")
    monkeypatch.chdir(repo)
    outcome = cli("--format", "json", "guard-rails")
    assert outcome.exit_code == 1, outcome.stderr
    report = json.loads(outcome.stdout)
    (result,) = [r for r in report["results"] if r["name"] == "forbid-todo"]
    assert result["status"] == "failed"
    assert [(f["path"], f["line"], f["column"]) for f in result["findings"]] == [("m.py", 2, 10)]
    assert result["tool_version"] == "1.0.0"


def test_example_plugin_bad_configuration_exits_2(
    example: Path,  # noqa: ARG001
    tmp_path: Path,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unknown key in the plugin's table is exit 2 naming the gate and the key."""
    (tmp_path / "pyproject.toml").write_text(
        "[tool.hephaestus.guard-rails.gate.forbid-todo]\npatern = 'HACK'\n"
    )
    monkeypatch.chdir(tmp_path)
    outcome = cli("guard-rails", "--gate", "forbid-todo")
    assert outcome.exit_code == 2
    assert "[tool.hephaestus.guard-rails.gate.forbid-todo] key 'patern'" in outcome.stderr


@pytest.mark.parametrize(
    ("module", "value", "message"),
    [
        ("broken_import", "broken_import:Gate", "failed to load: ModuleNotFoundError"),
        ("broken_type", "broken_type:NOT_A_GATE", "is not a hephaestus.gates.spec.Gate subclass"),
        ("broken_version", "broken_version:Future", "implements gate contract 99"),
        ("broken_name", "broken_name:Misnamed", "declares the name 'other'"),
    ],
)
def test_broken_plugin_is_named_and_exits_2(
    site: Path,
    cli: Cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    value: str,
    message: str,
) -> None:
    """A plugin that cannot load or is invalid stops the run with exit 2, naming it."""
    source = (
        "from hephaestus.gates.spec import Gate\n"
        "NOT_A_GATE = 42\n"
        "class Future(Gate):\n    name = 'bad-gate'\n    spec_version = 99\n"
        "class Misnamed(Gate):\n    name = 'other'\n"
    )
    if module != "broken_import":
        (site / f"{module}.py").write_text(source)
    install(site, "broken-plugin", "0.1", {"bad-gate": value})
    monkeypatch.chdir(tmp_path)
    outcome = cli("guard-rails")
    assert outcome.exit_code == 2
    assert "gate plugin 'bad-gate'" in outcome.stderr
    assert "broken-plugin 0.1" in outcome.stderr
    assert message in outcome.stderr


def test_two_gates_with_one_name_is_an_error(site: Path) -> None:
    """A plugin reusing a built-in gate's name is refused, not silently preferred."""
    install(site, "shadow", "1.0", {"mypy": "shadow:Mypy"})
    with pytest.raises(PluginError, match="two gates are named 'mypy'"):
        discover_gates()

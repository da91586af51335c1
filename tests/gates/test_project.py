"""What a repository uses: declared dependencies, tool configuration and pre-commit hooks."""

from __future__ import annotations

import tomllib
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hephaestus.gates.project import Hook, ProjectTools, without

if TYPE_CHECKING:
    from pathlib import Path

PYPROJECT = """
[project]
dependencies = ["click>=8"]
[project.optional-dependencies]
tests = ["pytest[testing]>=8 ; python_version >= '3.8'"]
[dependency-groups]
lint = ["Ruff==0.8", {include-group = "tests"}]
[tool.poetry.group.typing.dependencies]
mypy = "^1.10"
[tool.pdm.dev-dependencies]
audit = ["pip_audit"]
[tool.hatch.envs.docs]
dependencies = ["mkdocs"]
"""


def _read(root: Path, files: dict[str, str]) -> ProjectTools:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    pyproject = tomllib.loads(files.get("pyproject.toml", ""))
    return ProjectTools.read(root, pyproject)


def test_declarations_from_every_packaging_tool(tmp_path: Path) -> None:
    """[project], groups, extras, poetry, pdm, hatch and requirements files all declare."""
    tools = _read(
        tmp_path,
        {"pyproject.toml": PYPROJECT, "requirements/dev.txt": "-r base.txt\nyamllint==1.35\n"},
    )
    for name in ("click", "pytest", "ruff", "mypy", "pip-audit", "mkdocs", "yamllint"):
        assert tools.declares(name), name
    assert not tools.declares("black")


def test_hooks_get_their_repository_defaults(tmp_path: Path) -> None:
    """A mypy hook without args gets mirrors-mypy's defaults; given args replace them."""
    config = (
        "repos:\n- repo: https://github.com/pre-commit/mirrors-mypy\n  rev: v1\n"
        "  hooks:\n  - id: mypy\n- repo: local\n  hooks:\n  - id: yamllint\n"
        "    args: [-s]\n    exclude: ^ci/\n"
    )
    tools = _read(tmp_path, {".pre-commit-config.yaml": config})
    mypy, yamllint = tools.hook("mypy"), tools.hook("yamllint")
    assert mypy is not None
    assert yamllint is not None
    assert mypy.args == ("--ignore-missing-imports",)
    assert mypy.select(["a.py", "b.pyi", "c.txt", "d.yaml"]) == ["a.py", "b.pyi"]
    assert yamllint.args == ("-s",)
    assert yamllint.select(["a.yaml", "ci/b.yml", "c.py"]) == ["a.yaml"]


@pytest.mark.parametrize(
    "text", ["repos: [", "- just\n- a list\n", "repos:\n- 3\n- repo: x\n  hooks: [7]\n", "\xff"]
)
def test_a_malformed_pre_commit_configuration_hooks_nothing(tmp_path: Path, text: str) -> None:
    """Whatever .pre-commit-config.yaml holds, reading it never fails: it just hooks nothing."""
    (tmp_path / ".pre-commit-config.yaml").write_bytes(text.encode("utf-8", "surrogateescape"))
    assert ProjectTools.read(tmp_path, {}).hooks == ()


def test_configuration_tables_files_and_sections(tmp_path: Path) -> None:
    """[tool.X] (even empty), a tool's own file, or an INI section say a tool is configured."""
    tools = _read(
        tmp_path,
        {"pyproject.toml": "[tool.ruff]\n", "setup.cfg": "[tool:pytest]\naddopts = -q\n"},
    )
    assert tools.uses(distribution="ruff", tables=(("tool", "ruff"),))
    assert tools.uses(distribution="pytest", sections={"setup.cfg": ("tool:pytest",)})
    assert not tools.uses(distribution="mypy", tables=(("tool", "mypy"),), files=("mypy.ini",))


@given(
    args=st.lists(st.sampled_from(["--fix", "--unsafe-fixes", "--fix=true", "-q", "--select=E"])),
)
def test_without_drops_every_form_of_a_flag(args: list[str]) -> None:
    """A dropped flag goes in its bare and its --flag=value forms; the rest keep their order."""
    kept = without(args, ("--fix", "--unsafe-fixes"))
    assert kept == tuple(a for a in args if a in {"-q", "--select=E"})


def test_a_bad_regular_expression_selects_nothing() -> None:
    """A hook whose files pattern does not compile matches nothing rather than crashing."""
    assert Hook(repo="r", id="mypy", files="[").select(["a.py"]) == []

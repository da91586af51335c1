"""Where a repository's code and a gate's tool are: packages, tests, mypy targets, executables.

Everything here reads the repository's own declarations (``pyproject.toml``, mypy's config files)
and its file list; nothing is hard-coded to one project's paths.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hephaestus.gates.project import nested_table
from hephaestus.gates.spec import GateError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path


NOT_PACKAGES = frozenset(
    {"tests", "test", "docs", "doc", "benchmarks", "scripts", "examples", "build", "dist"}
)
"""Top-level directories of a flat layout that are never the project's import packages."""
NOT_MODULES = frozenset({"setup", "conftest", "noxfile", "fabfile"})
"""Top-level modules of a flat layout that are tooling, not the project's code."""
TEST_DIRS = ("tests", "test")
"""Characters of a tool's output quoted in a one-line error message."""


@dataclass(frozen=True, slots=True)
class Package:
    """A top-level import package or module: its import name and its root-relative path."""

    name: str
    path: str


def _declared_packages(pyproject: Mapping[str, object]) -> tuple[Package, ...]:
    """Return the packages hatch's wheel target lists explicitly (``packages = ["src/demo"]``)."""
    wheel = nested_table(pyproject, "tool", "hatch", "build", "targets", "wheel")
    paths = wheel.get("packages")
    if not isinstance(paths, list):
        return ()
    return tuple(
        Package(path.rstrip("/").rsplit("/", 1)[-1], path.rstrip("/"))
        for path in paths
        if isinstance(path, str)
    )


def _src_layout(files: tuple[str, ...]) -> tuple[Package, ...]:
    """Everything importable directly under ``src/``: package directories and modules."""
    found: dict[str, Package] = {}
    for name in (f[4:] for f in files if f.startswith("src/") and f.endswith(".py")):
        head, nested, _ = name.partition("/")
        stem = head if nested else head.removesuffix(".py")
        if stem.isidentifier():
            found.setdefault(stem, Package(stem, f"src/{head}"))
    return tuple(found[name] for name in sorted(found))


def _flat_layout(files: tuple[str, ...]) -> tuple[Package, ...]:
    """Top-level packages (with ``__init__.py``) and modules, without tests and tooling."""
    found: dict[str, Package] = {}
    for name in files:
        head, nested, rest = name.partition("/")
        if nested and rest == "__init__.py" and head not in NOT_PACKAGES:
            found.setdefault(head, Package(head, head))
        stem = name.removesuffix(".py")
        tooling = stem in NOT_MODULES | NOT_PACKAGES or is_test_file(name)
        if not nested and name.endswith(".py") and not tooling:
            found.setdefault(stem, Package(stem, name))
    return tuple(found[name] for name in sorted(found) if name.isidentifier())


def is_test_file(path: str) -> bool:
    """Whether ``path`` is a test module by pytest's default names (test_*.py, *_test.py)."""
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def python_packages(
    root: Path, files: Iterable[str], pyproject: Mapping[str, object]
) -> tuple[Package, ...]:
    """Return the project's top-level import packages and modules, sorted by name.

    Declared packages (hatch's wheel ``packages``) win; otherwise a ``src/`` layout's contents,
    otherwise a flat layout's top-level packages (directories with ``__init__.py``) and modules,
    leaving out tests, docs and tooling scripts. Empty when the repository has no Python code.
    """
    declared = tuple(p for p in _declared_packages(pyproject) if (root / p.path).exists())
    if declared:
        return declared
    listed = tuple(files)
    if any(f.startswith("src/") and f.endswith(".py") for f in listed):
        return _src_layout(listed)
    return _flat_layout(listed)


def find_tests_directory(files: Iterable[str]) -> str | None:
    """Return the tests directory (``tests`` or ``test``) if the repository has one."""
    tops = {f.split("/", 1)[0] for f in files if "/" in f}
    return next((name for name in TEST_DIRS if name in tops), None)


def mypy_configured_targets(root: Path, pyproject: Mapping[str, object]) -> bool:
    """Whether mypy's own configuration names what to check (``files``, ``modules``, ``packages``).

    Mypy reads the first of mypy.ini, .mypy.ini, pyproject.toml ([tool.mypy]) and setup.cfg
    ([mypy]) that holds its settings; the same order decides here.

    Raises:
        GateError: one of those files cannot be parsed.

    """
    keys = ("files", "modules", "packages")
    for name in ("mypy.ini", ".mypy.ini"):
        if (root / name).is_file():
            return _ini_has(root / name, "mypy", keys)
    mypy = nested_table(pyproject, "tool", "mypy")
    if mypy:
        return any(mypy.get(key) for key in keys)
    return _ini_has(root / "setup.cfg", "mypy", keys)


def coverage_source_configured(root: Path, pyproject: Mapping[str, object]) -> bool:
    """Whether coverage's configuration says what to measure (``source``, ``source_pkgs``).

    Looks where coverage does: .coveragerc [run], setup.cfg and tox.ini [coverage:run],
    pyproject.toml [tool.coverage.run].

    Raises:
        GateError: one of those files cannot be parsed.

    """
    keys = ("source", "source_pkgs")
    run = nested_table(pyproject, "tool", "coverage", "run")
    return (
        any(run.get(key) for key in keys)
        or _ini_has(root / ".coveragerc", "run", keys)
        or any(_ini_has(root / name, "coverage:run", keys) for name in ("setup.cfg", "tox.ini"))
    )


def _ini_has(path: Path, section: str, keys: tuple[str, ...]) -> bool:
    """Whether the INI file at ``path`` exists and sets one of ``keys`` in ``section``."""
    if not path.is_file():
        return False
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise GateError(
            f"{path.name} cannot be read: {exc.message}",
            hint=f"fix the syntax of {path.name}",
            code="config-unreadable",
        ) from exc
    return parser.has_section(section) and any(parser.get(section, k, fallback="") for k in keys)

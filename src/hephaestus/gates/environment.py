"""The Python environment whose tools the gates run: the checked repository's, never ours.

:func:`find_environment` looks, in order, for the ``python`` option (or the configured
``environment``), an active ``VIRTUAL_ENV`` or ``CONDA_PREFIX``, the project's ``.venv``
(``UV_PROJECT_ENVIRONMENT`` when set) or ``venv``, pdm's ``.pdm-python``, then poetry's and
hatch's environments when the project uses them and their command is installed. Hephaestus' own
environment is never taken for the project's: installed as a tool (``uvx``, ``pipx``) it holds
other versions of the project's dependencies, so tests would import those and pass for code that
fails.

Versions come from the environment's package metadata (``*.dist-info``), never from parsing a
tool's ``--version`` output; a standalone tool found outside any environment is the exception.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sys
import sysconfig
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Final

from hephaestus.core.errors import ConfigError, HephaestusError, field_ref
from hephaestus.core.proc import run

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

_BIN = "Scripts" if os.name == "nt" else "bin"
ASK_TIMEOUT: Final = 30.0
"""Seconds an interpreter or a project manager may take to say where its environment is."""
_ASK_PREFIX = (
    "import json, sys, sysconfig; p = sysconfig.get_paths(); "
    "print(json.dumps([sys.prefix, p['scripts'], p['purelib'], p['platlib']]))"
)
ABSENT: Final = "no project environment"
NO_ENVIRONMENT_HINT: Final = (
    "create the project's environment (uv sync, or python -m venv .venv and install its test "
    f"tools), activate it, or name it as {field_ref('python')}"
)


@dataclass(frozen=True)
class ToolEnvironment:
    """A Python environment: where its tools (``bin/``) and its installed metadata live."""

    prefix: Path
    bin_dir: Path
    site_packages: tuple[Path, ...]
    origin: str = field(default="", compare=False)
    """How it was found (the ``python`` option, ``VIRTUAL_ENV``, ``.venv``…), for the report."""
    _versions: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def running(cls) -> ToolEnvironment:
        """Describe the environment of the interpreter running hephaestus."""
        paths = sysconfig.get_paths()
        sites = tuple(dict.fromkeys(Path(paths[k]) for k in ("purelib", "platlib")))
        return cls(Path(sys.prefix), Path(paths["scripts"]), sites, "hephaestus' environment")

    @classmethod
    def at(cls, prefix: Path, origin: str = "") -> ToolEnvironment:
        """Describe the virtual environment at ``prefix`` (holding ``pyvenv.cfg``).

        Raises:
            ConfigError: ``prefix`` is not a virtual environment.

        """
        if not (prefix / "pyvenv.cfg").is_file():
            raise ConfigError(
                f"{prefix} is not a virtual environment (it has no pyvenv.cfg)",
                hint="name a venv or its interpreter, or create one: uv sync",
            )
        sites = tuple(sorted(prefix.glob("lib/python3*/site-packages"))) or (
            prefix / "Lib" / "site-packages",
        )
        return cls(prefix, prefix / _BIN, sites, origin or str(prefix))

    @classmethod
    def of_interpreter(cls, python: Path, origin: str = "") -> ToolEnvironment:
        """Describe the environment of the interpreter ``python`` (a venv's, conda's, a system's).

        Raises:
            ConfigError: ``python`` cannot be run or does not answer like a Python interpreter.

        """
        venv = python.parent.parent
        if python.parent.name == _BIN and (venv / "pyvenv.cfg").is_file():
            return cls.at(venv, origin)  # no need to start it
        try:
            done = run([str(python), "-I", "-c", _ASK_PREFIX], timeout=ASK_TIMEOUT)
            prefix, scripts, purelib, platlib = json.loads(done.stdout)
        except (HephaestusError, ValueError) as exc:
            raise ConfigError(
                f"{python} is not a usable Python interpreter",
                hint="name the project's interpreter or virtual environment",
            ) from exc
        sites = tuple(dict.fromkeys((Path(purelib), Path(platlib))))
        return cls(Path(prefix), Path(scripts), sites, origin or str(python))

    @classmethod
    def absent(cls, root: Path) -> ToolEnvironment:
        """Stand for the project environment that does not exist: no tools, no metadata."""
        missing = root / ".venv"
        return cls(missing, missing / _BIN, (), ABSENT)

    def describe(self) -> str:
        """Name the environment in messages (by its prefix)."""
        if self.origin == ABSENT:
            return "the project's environment (it has none)"
        return f"the environment {self.prefix}"

    def version_of(self, distribution: str) -> str | None:
        """Return the installed version of ``distribution``, or ``None`` if it is absent."""
        if distribution not in self._versions:
            found = next(
                iter(metadata.distributions(name=distribution, path=list(map(str, self.sites)))),
                None,
            )
            self._versions[distribution] = None if found is None else found.version
        return self._versions[distribution]

    @property
    def sites(self) -> tuple[Path, ...]:
        """The site-packages directories that exist."""
        return tuple(s for s in self.site_packages if s.is_dir())

    def installed_from(self, distribution: str) -> str | None:
        """Return the ``file://`` URL ``distribution`` was installed from (editable), if any."""
        found = next(
            iter(metadata.distributions(name=distribution, path=list(map(str, self.sites)))), None
        )
        text = None if found is None else found.read_text("direct_url.json")
        if not text:
            return None
        with contextlib.suppress(ValueError, AttributeError):
            url = json.loads(text).get("url")
            return url if isinstance(url, str) else None
        return None

    def executable(self, name: str) -> Path | None:
        """Return the environment's executable ``name``, or ``None`` if it has none."""
        for candidate in (self.bin_dir / name, self.bin_dir / f"{name}.exe"):
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
        return None

    @property
    def python(self) -> Path:
        """The environment's interpreter (a path that may not exist if it has none)."""
        return self.executable("python") or self.executable("python3") or self.bin_dir / "python"

    @cached_property
    def fingerprint(self) -> str:
        """Digest the interpreter version and every installed distribution and version."""
        names: list[str] = [sys.version if self.prefix == Path(sys.prefix) else ""]
        with contextlib.suppress(OSError):  # a venv records its interpreter's version here
            names.append((self.prefix / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace"))
        for site in self.site_packages:
            try:
                names += sorted(e.name for e in os.scandir(site) if e.name.endswith(".dist-info"))
            except OSError:
                continue
        return hashlib.sha256("\n".join([str(self.prefix), *names]).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class EnvironmentSearch:
    """The outcome of :func:`find_environment`: the environment, or where it was looked for."""

    environment: ToolEnvironment | None
    looked: tuple[str, ...] = ()

    def missing(self) -> str:
        """One line saying that the project has no environment and where it was looked for."""
        return "the project has no Python environment (looked for: " + ", ".join(self.looked) + ")"


def _project_name(pyproject: Mapping[str, object]) -> str | None:
    project = pyproject.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    return name if isinstance(name, str) else None


def is_own_environment(prefix: Path) -> bool:
    """Whether ``prefix`` is the environment hephaestus itself runs in."""
    with contextlib.suppress(OSError):
        return prefix.resolve() == Path(sys.prefix).resolve()
    return False


def _belongs_to(environment: ToolEnvironment, root: Path, pyproject: Mapping[str, object]) -> bool:
    """Whether ``environment`` is the project's: inside its root, or has it installed from there."""
    if environment.prefix.resolve().is_relative_to(root.resolve()):
        return True
    name = _project_name(pyproject)
    url = None if name is None else environment.installed_from(name)
    return url is not None and url.removeprefix("file://").rstrip("/") == str(root.resolve())


def _activated(
    root: Path, pyproject: Mapping[str, object], environ: Mapping[str, str]
) -> tuple[ToolEnvironment | None, list[str]]:
    """Return the environment activated in the shell, unless it is ours and not the project's.

    ``uvx`` and ``pipx`` run hephaestus with its own environment activated; taking it would test
    the project against hephaestus' dependencies.
    """
    looked = []
    for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
        value = environ.get(variable)
        if not value:
            continue
        looked.append(f"${variable}")
        prefix = Path(value)
        if not prefix.is_dir():
            continue
        if (prefix / "pyvenv.cfg").is_file():
            found = ToolEnvironment.at(prefix, f"${variable} ({prefix})")
        elif (prefix / "conda-meta").is_dir():
            try:
                found = ToolEnvironment.of_interpreter(prefix / _BIN / "python", f"${variable}")
            except ConfigError:  # a broken conda environment is not the one to use
                continue
        else:
            continue
        if not is_own_environment(prefix) or _belongs_to(found, root, pyproject):
            return found, looked
    return None, looked


def _in_tree(root: Path, environ: Mapping[str, str]) -> tuple[ToolEnvironment | None, list[str]]:
    """Return the project's own venv: ``UV_PROJECT_ENVIRONMENT``, else ``.venv`` or ``venv``."""
    configured = environ.get("UV_PROJECT_ENVIRONMENT")
    names = [configured] if configured else [".venv", "venv"]
    looked = []
    for name in names:
        prefix = root / name
        looked.append(str(prefix))
        if (prefix / "pyvenv.cfg").is_file():
            return ToolEnvironment.at(prefix, name), looked
    return None, looked


def _manager_environment(
    root: Path, pyproject: Mapping[str, object]
) -> tuple[ToolEnvironment | None, list[str]]:
    """Ask the project's manager (pdm, poetry, hatch) where its environment is, where cheap."""
    looked: list[str] = []
    pdm = root / ".pdm-python"
    if pdm.is_file():
        looked.append(".pdm-python")
        with contextlib.suppress(OSError, ConfigError):
            python = Path(pdm.read_text(encoding="utf-8").strip())
            if python.is_file():
                return ToolEnvironment.of_interpreter(python, "pdm (.pdm-python)"), looked
    tool = pyproject.get("tool")
    tables = tool if isinstance(tool, dict) else {}
    managers: list[tuple[str, bool, list[str]]] = [
        ("poetry", "poetry" in tables or (root / "poetry.lock").is_file(), ["env", "info", "-p"]),
        ("hatch", "hatch" in tables or (root / "hatch.toml").is_file(), ["env", "find", "default"]),
    ]
    for program, used, argv in managers:
        command = shutil.which(program) if used else None
        if command is None:
            continue
        looked.append(f"{program} {' '.join(argv)}")
        with contextlib.suppress(HephaestusError):
            answer = run([command, *argv], cwd=root, timeout=ASK_TIMEOUT, env={"VIRTUAL_ENV": None})
            prefix = (
                Path(answer.stdout.strip().splitlines()[-1])
                if answer.ok and answer.stdout.strip()
                else None
            )
            if prefix is not None and (prefix / "pyvenv.cfg").is_file():
                return ToolEnvironment.at(prefix, program), looked
    return None, looked


CONFIGURED_ENVIRONMENT: Final = "[tool.hephaestus.guard-rails] environment"
"""How messages name the configured environment (the request's is the ``python`` field)."""


def find_environment(
    root: Path,
    *,
    python: str | None,
    pyproject: Mapping[str, object],
    environ: Mapping[str, str] | None = None,
    configured: bool = False,
) -> EnvironmentSearch:
    """Find the project's environment; never hephaestus' own unless it is the project's.

    ``python`` (the request's, or with ``configured`` the configured ``environment``: messages
    name which) names an interpreter or a venv, relative to ``root`` or absolute; it wins over
    everything else.

    Raises:
        ConfigError: ``python`` names neither a venv nor a usable interpreter.

    """
    environ = os.environ if environ is None else environ
    named = CONFIGURED_ENVIRONMENT if configured else field_ref("python")
    if python is not None:
        origin = f"{named} {python}"
        given = Path(python).expanduser()
        given = given if given.is_absolute() else root / given
        if given.is_dir():
            return EnvironmentSearch(ToolEnvironment.at(given, origin))
        if not given.is_file():
            found = shutil.which(python)
            if found is None:
                raise ConfigError(
                    f"{origin}: no such interpreter or virtual environment",
                    hint="name the project's interpreter or virtual environment",
                )
            given = Path(found)
        return EnvironmentSearch(ToolEnvironment.of_interpreter(given, origin))
    looked: list[str] = []
    steps: list[Callable[[], tuple[ToolEnvironment | None, list[str]]]] = [
        lambda: _activated(root, pyproject, environ),
        lambda: _in_tree(root, environ),
        lambda: _manager_environment(root, pyproject),
    ]
    for step in steps:
        environment, tried = step()
        looked += tried
        if environment is not None:
            return EnvironmentSearch(environment, tuple(looked))
    return EnvironmentSearch(None, tuple(looked))


@dataclass(frozen=True, slots=True)
class LocatedTool:
    """A standalone tool's executable, its version, and where it was found."""

    path: Path
    version: str
    origin: str


_VERSION: Final = re.compile(r"\d+(?:\.\d+)+\S*")


def locate_tool(
    project: ToolEnvironment | None, program: str, distribution: str
) -> LocatedTool | None:
    """Find a standalone tool: the project environment's, else PATH's, else hephaestus' own.

    Hephaestus' own ``bin`` directory is skipped on PATH (``uv run`` and ``uvx`` put it first),
    so that a copy the user installed elsewhere wins over ours, as documented.
    """
    if project is not None and (path := project.executable(program)) is not None:
        version = project.version_of(distribution) or _asked_version(path)
        return LocatedTool(path, version, project.origin or project.describe())
    own = ToolEnvironment.running()
    search = os.pathsep.join(
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and Path(entry).resolve() != own.bin_dir.resolve()
    )
    on_path = shutil.which(program, path=search)
    if on_path is not None:
        venv = Path(on_path).parent.parent
        known = None
        if (venv / "pyvenv.cfg").is_file():
            known = ToolEnvironment.at(venv).version_of(distribution)
        return LocatedTool(Path(on_path), known or _asked_version(Path(on_path)), "PATH")
    if (path := own.executable(program)) is not None:
        return LocatedTool(path, own.version_of(distribution) or _asked_version(path), own.origin)
    return None


def _asked_version(path: Path) -> str:
    """Ask ``path --version`` (a tool outside any Python environment); "unknown" if it won't say."""
    with contextlib.suppress(HephaestusError):
        done = run([str(path), "--version"], timeout=ASK_TIMEOUT)
        match = _VERSION.search(done.stdout or done.stderr)
        if done.ok and match is not None:
            return match.group(0)
    return "unknown"

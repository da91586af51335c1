"""The gate plugin contract, version 1: what a gate declares and the two hooks it implements.

A gate is a subclass of :class:`Gate` published in the ``hephaestus.gates`` entry-point group
under its own name; the built-in gates are registered the same way, in hephaestus' own metadata::

    [project.entry-points."hephaestus.gates"]
    forbid-todo = "my_package.gates:ForbidTodo"

A gate declares its ``name``, the distribution providing its ``tool`` (for the tool version in
the cache key, drift and install hints), the ``inputs`` it reads (gitignore-style patterns, for
the cache key) and its configuration model ``config_model``. The runner validates the gate's
``[tool.hephaestus.guard-rails.gate.<name>]`` table with that model and passes the result in
:attr:`GateContext.config`. Then it calls :meth:`Gate.command`, runs the argv as a subprocess
(no shell, with a timeout) and hands the finished process to :meth:`Gate.parse`, which returns
the findings. Any hook may raise :class:`GateError` (or another ``HephaestusError``) to say the
gate could not run; that is never reported as a pass.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from hephaestus.core.errors import ExternalError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from hephaestus.core.proc import ProcessResult
    from hephaestus.gates.environment import LocatedTool, ToolEnvironment
    from hephaestus.gates.models import Finding, TestCase
    from hephaestus.gates.project import ProjectTools

SPEC_VERSION: Final = 1
"""Version of this contract. A gate built for another version is refused when it loads."""
ENTRY_POINT_GROUP: Final = "hephaestus.gates"
MAX_LINE: Final = 300
"""Longest tool output line quoted in a one-line error."""
NAME_PATTERN: Final = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
"""Gate names are kebab-case: they are also TOML keys and CLI values."""


class GateError(ExternalError):
    """The gate could not run: its tool is unusable or its output cannot be understood."""

    code = "gate-could-not-run"


class GateConfig(BaseModel):
    """Settings every gate has. A gate's own model subclasses this and adds fields.

    Keys are kebab-case in ``pyproject.toml`` (``coverage-threshold``) and snake_case here.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    required: bool = True
    """A required gate decides the exit code; an optional one is reported only."""
    args: tuple[str, ...] = ()
    """Extra arguments appended to the tool's command line."""
    timeout: float | None = Field(default=None, gt=0)
    """Seconds this gate may run (default: guard-rails' timeout)."""


C = TypeVar("C", bound=GateConfig)


@dataclass(frozen=True, slots=True)
class GateContext(Generic[C]):
    """What a gate's hooks may look at. Read-only; a hook writes only into ``scratch``."""

    root: Path
    """Repository root: the tool's working directory."""
    config: C
    """The gate's validated configuration."""
    environment: ToolEnvironment
    """The environment whose tools run (the checked repository's, not hephaestus')."""
    files: tuple[str, ...]
    """Tracked and untracked-not-ignored files, relative to root, '/'-separated."""
    fix: bool
    """--fix: the gate may apply fixes. Without it a gate never writes to the repository."""
    scratch: Path
    """An empty private directory for report files, removed after :meth:`Gate.parse`."""
    pyproject: Mapping[str, object]
    """The parsed pyproject.toml ({} if there is none), to find layout and tool settings."""
    project: ProjectTools
    """What the repository declares, configures and hooks (to decide whether it uses a tool)."""
    tool_cache: Path | None = None
    """A persistent private directory for the tool's own cache (inside hephaestus' state, never
    the work tree), or ``None`` when there is none: the tool must then write no cache at all."""
    has_environment: bool = True
    """Whether ``environment`` is the project's own; ``False`` when the project has none (then
    it names where one was looked for and holds no tools)."""
    targets: tuple[str, ...] | None = None
    """A changed-files run: the only files to check (relative to root, '/'-separated, existing,
    never empty), given to a gate that declares :attr:`Gate.accepts_files`; ``None``: check the
    whole project as usual."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What :meth:`Gate.parse` found. Error-severity findings fail the gate."""

    findings: tuple[Finding, ...] = ()
    tests: tuple[TestCase, ...] = ()


class Gate(Generic[C]):
    """Base of every gate. Subclasses set the class attributes and implement the two hooks."""

    spec_version: ClassVar[int] = SPEC_VERSION
    name: ClassVar[str]
    """Kebab-case name, equal to the entry-point name."""
    description: ClassVar[str]
    """One line for ``--help``-like listings and SARIF."""
    tool: ClassVar[str | None]
    """Distribution that provides the tool (``None`` if the tool is not a Python package)."""
    config_model: ClassVar[type[GateConfig]] = GateConfig
    inputs: ClassVar[tuple[str, ...]] = ("*",)
    """gitignore-style patterns of the files the gate reads. Any change to one re-runs it."""
    writes_with_fix: ClassVar[bool] = False
    """Whether --fix makes this gate write files (its results are then never cached)."""
    fix_order: ClassVar[int] = 0
    """Where it writes among the gates that do, lowest first (a formatter last: 1), whatever
    the durations that order the rest: what --fix writes never depends on the last run."""
    cacheable: ClassVar[bool] = True
    """Whether a pass may be reused; ``False`` when the result depends on more than the inputs
    (pip-audit's vulnerability database changes daily)."""
    precommit_repos: ClassVar[tuple[str, ...]] = ()
    """pre-commit hook repositories that pin this tool (for drift)."""
    imports_project: ClassVar[bool] = False
    """Whether the tool imports or runs the project's code (pytest, mypy, pip-audit). Such a gate
    runs only in the project's own environment, never in hephaestus' (it could not run without
    one); a standalone tool (ruff, yamllint) may come from PATH or hephaestus' environment."""
    config_files: ClassVar[tuple[str, ...]] = ()
    """Configuration file names the tool also reads from the root's parent directories (its
    discovery chain, e.g. ``ruff.toml``): their contents are part of the cache key."""
    user_config: ClassVar[tuple[str, ...]] = ()
    """User-level configuration files the tool reads, relative to ``$XDG_CONFIG_HOME`` (default
    ``~/.config``), or to the home directory when they start with ``~/``: part of the cache key."""
    environment_variables: ClassVar[tuple[str, ...]] = ()
    """fnmatch patterns of the environment variables the tool reads (``PYTEST_*``, ``MYPYPATH``):
    part of the cache key, on top of the ones every Python tool reads (``PYTHON*``, ``PATH``…)."""
    file_level: ClassVar[bool] = False
    """Whether the tool judges each file on its own (a linter, a formatter): a changed-files run
    (``changed_since``, ``files``) then gives it only the changed files matching its ``inputs``
    (:attr:`GateContext.targets`), and skips it when none changed. Implies ``accepts_files``."""
    accepts_files: ClassVar[bool] = False
    """Whether :meth:`command` can check only :attr:`GateContext.targets` (mypy can). A
    project-level gate that can is given the changed files only when the project opts in
    (``changed-only-project-gates``); one that cannot always checks the whole project."""

    def configured(self, context: GateContext[C]) -> str | None:  # noqa: ARG002  # a default hook
        """Return why the repository does not use this tool, or ``None`` if it does.

        A gate the repository does not use is skipped as "not configured" unless it is named
        with ``--gate`` or in ``[tool.hephaestus.guard-rails]``. The default (for plugins, which
        a project installs on purpose) says the tool is used.
        """
        return None

    def applies(self, context: GateContext[C]) -> str | None:  # noqa: ARG002  # a default hook
        """Return why the gate does not apply to this repository, or ``None`` if it does."""
        return None

    def version(self, context: GateContext[C]) -> str:
        """Return the tool's version (part of the cache key).

        The default reads the ``tool`` distribution's metadata in the environment.

        Raises:
            GateError: the tool is not installed there.

        """
        if self.tool is None:
            return "n/a"
        found = context.environment.version_of(self.tool)
        if found is None and not self.imports_project:
            return standalone(context, self.tool, self.tool).version
        if found is None:
            raise tool_not_found(context.environment, self.tool, self.tool)
        return found

    def process_environment(self, context: GateContext[C]) -> Mapping[str, str | None]:  # noqa: ARG002  # a default hook
        """Return variables to set (``None``: remove) for the tool's process.

        They come on top of the runner's (the project environment first on ``PATH``,
        ``VIRTUAL_ENV``).
        """
        return {}

    def select_targets(self, context: GateContext[C], targets: tuple[str, ...]) -> tuple[str, ...]:  # noqa: ARG002  # a default hook
        """Return the changed files of ``targets`` this gate checks (a changed-files run).

        The default keeps them all. A gate whose tool takes every file named on its command
        line for its own kind (ruff lints ``notes.txt`` as Python) keeps those the tool picks in
        a whole run. None kept: the gate is skipped, as when none of its files changed.
        """
        return targets

    def command(self, context: GateContext[C]) -> Sequence[str]:
        """Return the argv to run (the tool from ``context.environment``, never a shell).

        Raises:
            GateError: the gate cannot build a command (e.g. its executable is missing).

        """
        raise NotImplementedError

    def parse(self, context: GateContext[C], process: ProcessResult) -> Outcome:
        """Turn the finished process (and files it wrote to ``scratch``) into findings.

        Raises:
            GateError: the tool failed in a way that is not a finding (crash, bad usage,
                unreadable output, an unreachable service).

        """
        raise NotImplementedError


def relative(root: Path, path: str) -> str:
    """Return ``path`` (absolute or root-relative) relative to ``root`` with '/' separators."""
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(root)
        except ValueError:
            return candidate.as_posix()
    text = candidate.as_posix()
    return text.removeprefix("./")


def executable(environment: ToolEnvironment, program: str, distribution: str) -> str:
    """Return the path of ``program`` in ``environment`` (the checked repository's).

    Raises:
        GateError: ``tool-not-found``, with the command that installs ``distribution``.

    """
    found = environment.executable(program)
    if found is None:
        raise tool_not_found(environment, program, distribution)
    return str(found)


_LOCATED: dict[tuple[str, str, str], LocatedTool | None] = {}


def standalone(context: GateContext[Any], program: str, distribution: str) -> LocatedTool:
    """Find a standalone tool (one that does not import the project) for ``context``.

    The project environment's copy first, then PATH's, then hephaestus' own; the result names
    which binary and version it is, for the report.

    Raises:
        GateError: ``tool-not-found``, with the command that installs ``distribution``.

    """
    from hephaestus.gates.environment import locate_tool  # noqa: PLC0415  # avoids an import cycle

    project = context.environment if context.has_environment else None
    key = (str(project.prefix) if project else "", program, os.environ.get("PATH", ""))
    if key not in _LOCATED:
        _LOCATED[key] = locate_tool(project, program, distribution)
    found = _LOCATED[key]
    if found is None:
        raise tool_not_found(context.environment, program, distribution)
    return found


def tool_not_found(environment: ToolEnvironment, program: str, distribution: str) -> GateError:
    """Build the error for a tool missing from ``environment``, with the command that adds it."""
    return GateError(
        f"{program} is not installed in {environment.describe()}",
        hint=f"add it to the project's development dependencies: uv add --dev {distribution}",
        code="tool-not-found",
    )


def last_line(process: ProcessResult) -> str:
    """Return the tool's error line, for a one-line message.

    That is the last line of stderr starting with "error" (a usage message ends with a line
    such as "For more information, try '--help'"), else the last non-empty line of stderr,
    else of stdout. A Rust tool's chain of causes (ruff: "Cause: Failed to parse
    sub/pyproject.toml", a TOML excerpt, then what is wrong) gives its first cause, which names
    the file, before that last line.
    """
    causes = [
        line.strip().removeprefix("Cause:").strip()
        for line in process.stderr.splitlines()
        if line.strip().startswith("Cause:")
    ]
    if causes:
        lines = [line.strip() for line in process.stderr.splitlines() if line.strip()]
        last = lines[-1].removeprefix("Cause:").strip()
        return (causes[0] if last == causes[0] else f"{causes[0]}: {last}")[:MAX_LINE]
    errors = [
        line.strip()
        for line in process.stderr.splitlines()
        if line.strip().lower().startswith("error")
    ]
    if errors:
        return errors[-1][:MAX_LINE]
    for stream in (process.stderr, process.stdout):
        lines = [line.strip() for line in stream.splitlines() if line.strip()]
        if lines:
            return lines[-1][:MAX_LINE]
    return "no output"


def could_not_run(tool: str, process: ProcessResult, hint: str) -> GateError:
    """Build the error for a tool that exited in a way that is not a finding."""
    return GateError(
        f"{tool} exited with code {process.returncode}: {last_line(process)}",
        hint=hint,
    )

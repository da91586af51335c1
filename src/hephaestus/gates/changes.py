"""Changed-files runs: which files changed, and what each gate is given in such a run.

Two ways to say what changed (the request's ``changed_since`` and ``files``):

- :func:`changed_since`: the files that differ between the merge-base of a ref and ``HEAD`` on
  one side and the work tree on the other (committed, staged and unstaged changes: ``git diff
  --name-only <merge-base>``), plus untracked files no ignore rule covers (``git ls-files
  --others --exclude-standard``). Deleted files are listed; they are never given to a tool.
- :func:`named_files`: the paths a hook manager (pre-commit, prek, lefthook) or a person names,
  relative to the working directory; a directory stands for the files below it.

:meth:`ChangedFiles.scope` then decides per gate: a file-level gate (or a project-level one the
project opts in) gets the changed files among the repository's files (tracked or untracked and
not ignored, existing) that match its ``inputs``, or is skipped when there are none; a change
to a file that configures it (:data:`CONFIGURATION`, its ``config_files``) gives it the whole
project, as does every other gate.
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from hephaestus.core.errors import ConfigError, UsageError, field_ref
from hephaestus.core.fs import write_atomic
from hephaestus.core.git import run_git, stream_git
from hephaestus.gates.cache import READ_FLAGS, owned_by_current_user
from hephaestus.gates.inputs import select

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence
    from pathlib import Path

    from hephaestus.gates.spec import Gate

CONFIGURATION: Final = ("pyproject.toml", ".pre-commit-config.yaml", "uv.lock", "pylock.toml")
"""Root files whose change re-checks every gate on the whole project: every gate's table, most
tools' settings and the Python version they target (pyproject.toml), hook arguments, and the
locked tool versions."""
NO_CHANGED_FILES: Final = "no changed files"
"""Why a gate is skipped in a changed-files run that changed none of its files."""
_UNKNOWN_REF_HINT = (
    "name a branch, tag or commit of this repository; a shallow CI clone needs it fetched "
    "(actions/checkout: fetch-depth: 0)"
)


@dataclass(frozen=True, slots=True)
class Scope:
    """What one gate checks in a changed-files run."""

    targets: tuple[str, ...] | None
    """The changed files it is given (never empty), or ``None``: the whole project."""
    skip: bool = False
    """None of its files changed: it does not run."""
    why_whole: str | None = None
    """Why a gate that could check only changed files checks the whole project."""


@dataclass(frozen=True, slots=True)
class ChangedFiles:
    """The files a changed-files run is limited to, and the project-level gates it limits."""

    paths: frozenset[str]
    """Root-relative, '/'-separated; a directory stands for the files below it, '' for all."""
    project_gates: frozenset[str] = frozenset()
    """Project-level gates the project opted in (``changed-only-project-gates``)."""

    def reconfigured(self, gate: Gate[Any]) -> str | None:
        """Return a changed file that configures ``gate``, or ``None``.

        That is one of :data:`CONFIGURATION` at the root, or one of the gate's ``config_files``
        anywhere in the tree (ruff reads a ``ruff.toml`` of any directory).
        """
        names = frozenset(gate.config_files)
        for path in sorted(self.paths):
            if path in CONFIGURATION or posixpath.basename(path) in names:
                return path
        return None

    def scope(self, gate: Gate[Any], files: Sequence[str]) -> Scope:
        """Decide what ``gate`` checks, given the repository's ``files``.

        ``files`` are the tracked or untracked and not ignored files that exist
        (:func:`~hephaestus.gates.inputs.repository_files`).
        """
        limited = gate.file_level or (gate.accepts_files and gate.name in self.project_gates)
        if not limited:
            return Scope(targets=None)
        changed = self.reconfigured(gate)
        if changed is not None:
            return Scope(targets=None, why_whole=f"{changed} changed")
        targets = changed_targets(self.paths, files, gate.inputs)
        return Scope(targets=targets or None, skip=not targets)


def changed_targets(
    changed: Collection[str], files: Sequence[str], patterns: Sequence[str]
) -> tuple[str, ...]:
    """Return the ``files`` that ``changed`` names and that match ``patterns``, in order.

    A changed path names a file, or the files below it when it is a directory; ``patterns`` are
    gitignore-style (a gate's ``inputs``).

    The result is a subset of ``files``: a changed path outside the repository, ignored, deleted
    or matching no pattern is never returned.
    """
    if "" in changed:
        chosen: Iterable[str] = files
    else:
        wanted = frozenset(changed)
        prefixes = tuple(f"{path}/" for path in wanted)
        chosen = (f for f in files if f in wanted or f.startswith(prefixes))
    return tuple(select(list(chosen), patterns))


def project_gates(
    names: Sequence[str], gates: Mapping[str, Gate[Any]], *, key: str
) -> frozenset[str]:
    """Check the project-level gates opted in to changed-files runs.

    Raises:
        ConfigError: a name is not an installed gate, or names a gate that cannot check a list
            of files (exit 2).

    """
    for name in names:
        gate = gates.get(name)
        if gate is None:
            raise ConfigError(
                f"{key}: unknown gate {name!r}", hint=f"installed gates: {', '.join(gates)}"
            )
        if not gate.accepts_files:
            able = ", ".join(n for n, g in gates.items() if g.accepts_files and not g.file_level)
            raise ConfigError(
                f"{key}: the {name} gate cannot check only some files",
                hint=f"gates that can: {able or 'none installed'}",
            )
    return frozenset(names)


def changed_since(root: Path, ref: str, *, timeout: float = 60.0) -> frozenset[str]:
    """Return the files changed between the merge-base of ``ref`` and ``HEAD`` and the work tree.

    Committed, staged and unstaged changes (deletions and both sides of a rename included), and
    untracked files no ignore rule covers; root-relative, '/'-separated.

    Raises:
        UsageError: ``ref`` names no commit, ``HEAD`` has none, or they share no history
            (exit 2, naming the ``changed_since`` field).
        ExternalError: git failed otherwise.
        ToolNotFoundError: git is not installed.

    """
    field = field_ref("changed_since")
    if ref.startswith("-") or not ref:
        raise UsageError(f"{field} {ref!r} is not a git ref", hint=_UNKNOWN_REF_HINT)
    found = run_git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", timeout=timeout)
    if found.returncode:
        raise UsageError(
            f"{field} {ref!r}: no such branch, tag or commit in {root}",
            hint=_UNKNOWN_REF_HINT,
            code="unknown-ref",
        )
    base = run_git(root, "merge-base", found.stdout.strip(), "HEAD", timeout=timeout)
    if (
        base.returncode
        and run_git(root, "rev-parse", "--verify", "-q", "HEAD", timeout=timeout).returncode
    ):
        raise UsageError(
            f"{field} needs a git repository with a commit at {root}",
            hint="commit first, or name the files to check instead",
        )
    if base.returncode:
        raise UsageError(
            f"{field} {ref!r} shares no history with HEAD",
            hint="fetch the whole history (actions/checkout: fetch-depth: 0)",
            code="unknown-ref",
        )
    listings = (
        ("diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", base.stdout.strip(), "--"),
        ("ls-files", "-z", "--others", "--exclude-standard"),
    )
    return frozenset(p for args in listings for p in stream_git(root, *args, timeout=timeout))


def named_files(root: Path, cwd: Path, paths: Sequence[str]) -> frozenset[str]:
    """Return ``paths`` (relative to ``cwd``, or absolute) relative to ``root``, '/'-separated.

    The path is normalised as written (``..`` removed lexically, symlinks not followed): a hook
    manager names files as the repository holds them.

    Raises:
        UsageError: a path is outside the repository (exit 2, naming the ``files`` field).

    """
    base = os.path.normpath(os.path.abspath(root))  # noqa: PTH100  # lexical, not resolved
    found = set()
    for path in paths:
        full = os.path.normpath(os.path.join(os.path.abspath(cwd), path))  # noqa: PTH100, PTH118
        relative = os.path.relpath(full, base)
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            raise UsageError(
                f"{field_ref('files')} {path}: outside the repository {root}",
                hint="name files of the repository being checked",
            )
        found.add("" if relative == os.curdir else relative.replace(os.sep, "/"))
    return frozenset(found)


class ToolVersions:
    """The tool version each gate last checked the whole project with, in this checkout.

    Kept in ``<state>/cache/tool-versions.json`` (``state`` ``None``: for this run only). A
    changed-files run gives a gate the whole project when its tool's version differs from the
    recorded one; a gate with no record (a fresh CI checkout) is recorded as it is, and a change
    of the lock file re-checks it instead (:data:`CONFIGURATION`).
    """

    def __init__(self, state: Path | None) -> None:
        self._path = None if state is None else state / "cache" / "tool-versions.json"
        self._versions = self._load()
        self._changed = False

    def _load(self) -> dict[str, str]:
        if self._path is None:
            return {}
        try:
            with os.fdopen(os.open(self._path, READ_FLAGS)) as file:
                if not owned_by_current_user(os.fstat(file.fileno())):
                    return {}
                data = json.loads(file.read())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}

    def differs(self, gate: str, version: str) -> str | None:
        """Return the version recorded for ``gate`` if it is not ``version``, else ``None``."""
        known = self._versions.get(gate)
        return known if known is not None and known != version else None

    def record(self, gate: str, version: str, *, whole: bool) -> None:
        """Record ``version`` after a whole-project run of ``gate``, or if none is recorded."""
        if whole or gate not in self._versions:
            self._changed |= self._versions.get(gate) != version
            self._versions[gate] = version

    def save(self) -> None:
        """Persist the record (best effort: a failure costs a whole-project run later)."""
        if self._path is None or not self._changed:
            return
        with contextlib.suppress(OSError):
            self._path.parent.mkdir(exist_ok=True)
            write_atomic(self._path, json.dumps(self._versions, sort_keys=True))

"""Drift: whether each gate tool's installed version agrees with what the repository declares.

Declarations come from ``pyproject.toml``, the lock and ``.pre-commit-config.yaml`` (read by
:mod:`hephaestus.gates.declared`); installed versions from the environment's metadata. Versions
are compared as PEP 440 versions against the whole specifier set: a newer installed version that
still satisfies ``>=`` is not drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from hephaestus.core import proc
from hephaestus.core.errors import ToolNotFoundError, ToolTimeoutError
from hephaestus.gates.declared import (
    PRE_COMMIT_CONFIG,
    Declaration,
    Lock,
    Pin,
    normalise_repo_url,
    read_declarations,
    read_lock,
    read_pins,
)
from hephaestus.gates.models import DriftEntry, DriftReport, DriftVerdict, RemediationResult

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

    from hephaestus.gates.environment import ToolEnvironment

Commands: TypeAlias = tuple[tuple[str, ...], ...]
Judgement: TypeAlias = tuple[DriftVerdict, str, Commands]
"""A verdict, its one-line message and the commands that fix it."""

_SYNC = ("uv", "sync")
_COMMIT = re.compile(r"[0-9a-fA-F]{7,40}")
_OUTPUT_LINES = 20


@dataclass(frozen=True, slots=True)
class _Facts:
    """Everything known about one tool before judging it."""

    name: str
    declaration: Declaration | None
    lock_file: str | None
    locked: str | None
    pin: Pin | None
    installed: str | None


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _upgrade(name: str) -> Commands:
    return (("uv", "lock", "--upgrade-package", name), _SYNC)


def _locked(lock: Lock | None, name: str, installed: str | None) -> str | None:
    """Return the locked version: the installed one if a fork locks several, else the highest."""
    versions = lock.versions.get(name, ()) if lock is not None else ()
    if not versions:
        return None
    if installed is not None and installed in versions:
        return installed
    return max(versions, key=lambda v: _version(v) or Version("0"))


def _pin(pins: Mapping[str, Pin], urls: Iterable[str]) -> Pin | None:
    return next((pins[u] for u in map(normalise_repo_url, urls) if u in pins), None)


def _against_nothing(facts: _Facts) -> Judgement:
    if facts.installed is not None:
        return DriftVerdict.undeclared, f"installed {facts.installed} but declared nowhere", ()
    fix = ("uv", "add", "--dev", facts.name)
    return DriftVerdict.missing, "not installed and declared nowhere", (fix,)


def _missing(facts: _Facts) -> Judgement:
    # uv sync installs only what pyproject.toml or the lock names; a pre-commit pin alone is not.
    if facts.declaration is None and facts.locked is None:
        return (
            DriftVerdict.missing,
            "pinned for pre-commit but not installed or declared",
            (("uv", "add", "--dev", facts.name),),
        )
    return DriftVerdict.missing, "declared but not installed", (_SYNC,)


def _against_declaration(facts: _Facts, installed: str) -> Judgement | None:
    if facts.declaration is None:
        return None
    spec = facts.declaration.specifier
    if not spec.contains(installed, prereleases=True):
        lock_ok = facts.locked is not None and spec.contains(facts.locked, prereleases=True)
        fix = (_SYNC,) if lock_ok else _upgrade(facts.name)
        return DriftVerdict.drift, f"installed {installed} does not satisfy {spec}", fix
    if facts.locked is not None and not spec.contains(facts.locked, prereleases=True):
        message = f"{facts.lock_file} locks {facts.locked}, which does not satisfy {spec}"
        return DriftVerdict.drift, message, _upgrade(facts.name)
    return None


def _against_lock(facts: _Facts, installed: str) -> Judgement | None:
    if facts.locked is None or installed == facts.locked:
        return None
    if (found := _version(installed)) is not None and found == _version(facts.locked):
        return None  # the same version spelt differently (1.0 and 1.0.0)
    message = f"installed {installed}, locked {facts.locked} ({facts.lock_file})"
    return DriftVerdict.drift, message, (_SYNC,)


def _against_pin(facts: _Facts, installed: str) -> Judgement | None:
    if facts.pin is None:
        return None
    rev, what = facts.pin.rev, "locked" if facts.locked is not None else "installed"
    reference = _version(facts.locked or installed)
    pinned = None if _COMMIT.fullmatch(rev) else _version(rev)
    if pinned is None or reference is None:
        odd = f"pre-commit rev {rev!r}" if pinned is None else f"{what} {facts.locked or installed}"
        return DriftVerdict.ok, f"{odd} is not a version, so the pin was not compared", ()
    if pinned == reference:
        return None
    newer = pinned > reference
    message = f"pre-commit pins {rev}, {'newer' if newer else 'older'} than the {what} {reference}"
    fix = (
        _upgrade(facts.name) if newer else (("pre-commit", "autoupdate", "--repo", facts.pin.repo),)
    )
    return DriftVerdict.pin_mismatch, message, fix


def _judge(facts: _Facts) -> Judgement:
    """Apply the verdict table; the first disagreement found decides."""
    if facts.declaration is None and facts.locked is None and facts.pin is None:
        return _against_nothing(facts)
    installed = facts.installed
    if installed is None:
        return _missing(facts)
    return (
        _against_declaration(facts, installed)
        or _against_lock(facts, installed)
        or _against_pin(facts, installed)
        or (DriftVerdict.ok, f"installed {installed} agrees with every declaration", ())
    )


def _source(facts: _Facts) -> str:
    if facts.declaration is not None:
        return "; ".join(facts.declaration.sources)
    if facts.locked is not None:
        return f"{facts.lock_file} only"
    return f"{PRE_COMMIT_CONFIG} only" if facts.pin is not None else "not declared"


def _entry(facts: _Facts) -> DriftEntry:
    verdict, message, remediation = _judge(facts)
    declaration = facts.declaration
    return DriftEntry(
        tool=facts.name,
        declared=str(declaration.specifier) if declaration is not None else None,
        locked=facts.locked,
        pinned=facts.pin.rev if facts.pin is not None else None,
        installed=facts.installed,
        source=_source(facts),
        verdict=verdict,
        message=message,
        remediation=remediation,
    )


def check_drift(
    root: Path, *, environment: ToolEnvironment, tools: Mapping[str, Sequence[str]]
) -> DriftReport:
    """Compare each tool in ``tools`` (distribution → pre-commit repo URLs) with ``root``.

    Returns one entry per tool, in the order of ``tools``, without running anything.

    Raises:
        ConfigError: ``pyproject.toml``, the lock or ``.pre-commit-config.yaml`` is malformed,
            or a declared requirement does not parse.

    """
    sources = _Sources.read(root)
    return DriftReport(
        entries=tuple(
            sources.judge(tool, urls, environment.version_of(canonicalize_name(tool)))
            for tool, urls in tools.items()
        )
    )


def judge_version(
    root: Path, *, tool: str, repos: Sequence[str], installed: str | None
) -> DriftEntry:
    """Judge one installed version of ``tool`` against ``root``'s declarations, lock and pins.

    Raises:
        ConfigError: as :func:`check_drift`.

    """
    return _Sources.read(root).judge(tool, repos, installed)


@dataclass(frozen=True, slots=True)
class _Sources:
    """What the repository says about its tools' versions, read once."""

    declarations: Mapping[str, Declaration]
    lock: Lock | None
    pins: Mapping[str, Pin]

    @classmethod
    def read(cls, root: Path) -> _Sources:
        return cls(read_declarations(root), read_lock(root), read_pins(root))

    def judge(self, tool: str, repos: Iterable[str], installed: str | None) -> DriftEntry:
        name = canonicalize_name(tool)
        return _entry(
            _Facts(
                name=name,
                declaration=self.declarations.get(name),
                lock_file=self.lock.file if self.lock is not None else None,
                locked=_locked(self.lock, name, installed),
                pin=_pin(self.pins, repos),
                installed=installed,
            )
        )


def _tail(text: str) -> str:
    return "\n".join(text.strip().splitlines()[-_OUTPUT_LINES:])


def _run(argv: tuple[str, ...], *, root: Path, timeout: float) -> RemediationResult:
    try:
        done = proc.run(argv, cwd=root, timeout=timeout)
    except (ToolNotFoundError, ToolTimeoutError) as exc:
        return RemediationResult(argv=argv, returncode=None, output=exc.message)
    return RemediationResult(
        argv=argv, returncode=done.returncode, output=_tail(f"{done.stdout}\n{done.stderr}")
    )


def remediate_drift(
    report: DriftReport, *, root: Path, timeout: float
) -> tuple[RemediationResult, ...]:
    """Run every distinct remediation of ``report`` once, in ``root``, never through a shell.

    A command listed by several entries runs at its last position, so ``uv sync`` follows every
    ``uv lock --upgrade-package``. Each result holds the exit status and the last lines of
    output; a program that is missing or exceeds ``timeout`` seconds gives ``returncode=None``
    and the reason, never an exception.
    """
    commands = [argv for entry in report.entries for argv in entry.remediation]
    distinct = reversed(dict.fromkeys(reversed(commands)))
    return tuple(_run(argv, root=root, timeout=timeout) for argv in distinct)

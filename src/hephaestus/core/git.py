"""The one way hephaestus runs git: in the repository it means, whatever the environment says.

A git hook (pre-commit, the natural place for ``cleanup``) runs with ``GIT_DIR``,
``GIT_INDEX_FILE``, ``GIT_WORK_TREE`` and friends set for the repository being committed to.
Inherited, they make ``git ls-files`` answer for that repository or index instead of the one
hephaestus looks at, and cleanup then saw tracked files as debris. So every git process gets
an environment with every ``GIT_*`` variable removed except the few in :data:`KEPT` (which say
where the user's configuration and git's own programs are, and how to trace git), and runs in
the repository's directory: discovery starts there and finds that repository only.
``-c core.quotepath=off`` makes git print path names as they are, never C-quoted.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Final

from hephaestus.core.proc import run

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path
    from typing import IO

    from hephaestus.core.proc import Cancellation, ProcessResult
    from hephaestus.core.streams import RecordStream

__all__ = [
    "GIT_HINT",
    "KEPT",
    "KEPT_PREFIXES",
    "git_argv",
    "git_environment",
    "open_git",
    "run_git",
    "stream_git",
]

GIT_HINT: Final = "install git: hephaestus reads the repository through it"
KEPT: Final = frozenset(
    {
        # Where the user's and the system's configuration live (CI keeps ``safe.directory``
        # there): the same configuration an interactive git reads, never another repository.
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_CONFIG_NOSYSTEM",
        # Where a relocated git finds its own helper programs.
        "GIT_EXEC_PATH",
        # Credentials and transport: never used by the local reads hephaestus makes.
        "GIT_ASKPASS",
        "GIT_TERMINAL_PROMPT",
    }
)
"""``GIT_*`` variables passed on to git: none of them changes which repository, index, objects,
refs or configuration values a read sees."""
KEPT_PREFIXES: Final = ("GIT_TRACE", "GIT_SSH")
"""Families passed on too: tracing (diagnostics only) and ssh transport settings."""


def _kept(name: str) -> bool:
    return name in KEPT or name.startswith(KEPT_PREFIXES)


def git_environment(
    extra: Mapping[str, str | None] | None = None, *, environ: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """Return the overrides for a git process: ``None`` (remove) for each ``GIT_*`` not kept.

    Every ``GIT_*`` variable of ``environ`` (default: this process's) that is not in
    :data:`KEPT` or a :data:`KEPT_PREFIXES` family is removed: ``GIT_DIR``, ``GIT_WORK_TREE``,
    ``GIT_INDEX_FILE``, ``GIT_OBJECT_DIRECTORY``, ``GIT_COMMON_DIR``, ``GIT_NAMESPACE``,
    ``GIT_CEILING_DIRECTORIES``, ``GIT_CONFIG_PARAMETERS``, ``GIT_CONFIG_COUNT``,
    ``GIT_*_PATHSPECS`` and whatever a later git adds. ``extra`` is applied last: what a
    caller sets on purpose (``GIT_FLUSH``) is never removed.
    """
    source = os.environ if environ is None else environ
    overrides: dict[str, str | None] = {
        name: None for name in source if name.startswith("GIT_") and not _kept(name)
    }
    overrides.update(extra or {})
    return overrides


def git_argv(*args: str) -> list[str]:
    """Return the argv of ``git args``, with path names printed unquoted."""
    return ["git", "-c", "core.quotepath=off", *args]


def run_git(  # noqa: PLR0913  # keyword-only options, each with a default
    root: Path,
    *args: str,
    timeout: float,
    env: Mapping[str, str | None] | None = None,
    install_hint: str = GIT_HINT,
    errors: str = "replace",
    cancellation: Cancellation | None = None,
) -> ProcessResult:
    """Run ``git args`` in ``root`` (see :func:`hephaestus.core.proc.run`); return its result.

    A non-zero exit is data, as for any process. ``env`` adds variables (``None`` removes one)
    after the redirecting ones are removed (:func:`git_environment`).

    Raises:
        ToolNotFoundError: git is not installed.
        ToolTimeoutError: git ran longer than ``timeout`` seconds.
        ProcessCancelledError: ``cancellation`` was cancelled.
        NotADirectoryError: ``root`` does not exist.

    """
    return run(
        git_argv(*args),
        cwd=root,
        timeout=timeout,
        env=git_environment(env),
        install_hint=install_hint,
        errors=errors,
        cancellation=cancellation,
    )


def open_git(  # noqa: PLR0913  # keyword-only options, each with a default
    root: Path,
    *args: str,
    timeout: float,
    separator: bytes = b"\0",
    env: Mapping[str, str | None] | None = None,
    install_hint: str = GIT_HINT,
    stdin: bytes | IO[bytes] | None = None,
    spool: bool = False,
) -> RecordStream:
    """Start ``git args`` in ``root`` now; return its :class:`~hephaestus.core.proc.RecordStream`.

    Raises:
        ToolNotFoundError: git is not installed (reading raises what the stream raises).

    """
    from hephaestus.core.streams import RecordStream  # noqa: PLC0415  # not on start-up

    return RecordStream(
        git_argv(*args),
        cwd=root,
        timeout=timeout,
        separator=separator,
        install_hint=install_hint,
        env=git_environment(env),
        stdin=stdin,
        spool=spool,
    )


def stream_git(
    root: Path,
    *args: str,
    timeout: float,
    separator: bytes = b"\0",
    env: Mapping[str, str | None] | None = None,
    install_hint: str = GIT_HINT,
) -> Iterator[str]:
    """Run ``git args`` in ``root`` when first read; yield its output records.

    Records are split on ``separator`` and decoded like :func:`os.fsdecode`, as
    :func:`hephaestus.core.proc.stream_records` does.

    Raises:
        ToolNotFoundError: git is not installed.
        ToolTimeoutError: git ran longer than ``timeout`` seconds (it is stopped).
        ExternalError: git exited non-zero (its last stderr line is in the message).

    """
    from hephaestus.core.streams import stream_records  # noqa: PLC0415  # not on start-up

    return stream_records(
        git_argv(*args),
        cwd=root,
        timeout=timeout,
        separator=separator,
        install_hint=install_hint,
        env=git_environment(env),
    )

"""A stdout that is closed or full ends the installed `hephaestus` with one line and exit 5.

Every command that writes to stdout, whichever code path writes (the renderer, Typer's help,
``--version``, ``schema``), into a pipe whose reader is gone or into ``/dev/full``: one
``error:``/``hint:`` pair on stderr, exit 5, and no traceback from the command or from the
interpreter flushing stdout at exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeAlias

import pytest

from hephaestus.core.errors import ExitCode

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

HEPHAESTUS = str(Path(sys.executable).parent / "hephaestus")
COMMANDS = [
    ("version",),
    ("--format", "json", "version"),
    ("--version",),
    ("--help",),
    ("schema",),
    ("--format", "json", "config"),
    ("config",),
    ("release", "--help"),
    ("--color", "always", "version"),
]


Runner: TypeAlias = "Callable[[Sequence[str], Path], subprocess.CompletedProcess[str]]"


def _run(
    argv: Sequence[str], cwd: Path, stdout: IO[bytes] | int
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(params=["closed-pipe", "dev-full", "closed-at-start"])
def run_into(request: pytest.FixtureRequest) -> Iterator[Runner]:
    """Run a command whose stdout cannot take a byte.

    A pipe with no reader, /dev/full, or a descriptor closed before the process started
    (`>&-`: Python's sys.stdout is then None).
    """
    if request.param == "dev-full":
        if not Path("/dev/full").exists():
            pytest.skip("needs /dev/full")
        with Path("/dev/full").open("wb") as full:
            yield lambda argv, cwd: _run(argv, cwd, full)
    elif request.param == "closed-at-start":
        yield lambda argv, cwd: _run(
            ["/bin/sh", "-c", 'exec "$@" >&-', "sh", *argv], cwd, subprocess.DEVNULL
        )
    else:
        read, write = os.pipe()
        os.close(read)
        try:
            yield lambda argv, cwd: _run(argv, cwd, write)
        finally:
            os.close(write)


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_an_unwritable_stdout_is_one_line_and_exit_5(
    tmp_path: Path, run_into: Runner, args: tuple[str, ...]
) -> None:
    """Whatever writes to stdout, the end is `error: cannot write …`, a hint, exit 5."""
    done = run_into([HEPHAESTUS, *args], tmp_path)
    lines = done.stderr.splitlines()
    assert done.returncode == ExitCode.EXTERNAL, done.stderr
    assert lines[0].startswith("error: cannot write the output to stdout: ")
    assert lines[1].startswith("hint: ")
    assert len(lines) == 2, done.stderr
    assert not list((tmp_path / "home" / ".cache").rglob("crash-*"))


@pytest.mark.parametrize(
    "pipeline",
    [
        "hephaestus --format json version > /dev/full",
        "hephaestus version | head -c0",
        "hephaestus schema | head -c1",
    ],
)
def test_shell_pipelines_never_show_a_traceback(tmp_path: Path, pipeline: str) -> None:
    """As typed in a shell: exit 0 (the reader took it in time) or 5 with one line."""
    done = subprocess.run(
        ["/bin/sh", "-c", f'{pipeline}; echo "exit=$?" >&2']
        if "|" not in pipeline
        else ["/bin/bash", "-o", "pipefail", "-c", f'{pipeline}; echo "exit=$?" >&2'],
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{Path(HEPHAESTUS).parent}{os.pathsep}{os.environ['PATH']}"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    *told, status = done.stderr.splitlines()
    assert status in {"exit=0", "exit=5"}, done.stderr
    assert "Traceback" not in done.stderr
    assert "Exception ignored" not in done.stderr
    if status == "exit=5":
        assert told[0].startswith("error: cannot write the output to stdout: ")
        assert len(told) == 2, done.stderr
    else:
        assert told == []

"""Run real git in tests: a fixed identity, no signing, no system config, literal pathspecs."""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pathlib import Path

GIT_ENV: Final = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_LITERAL_PATHSPECS": "1",  # names like `*` or `[x]` are names, not globs
}


def git(cwd: str | Path, *args: str) -> bytes:
    """Run git in ``cwd`` with an argv list; return its stdout; fail the test if it fails."""
    completed = subprocess.run(
        [
            "git",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "core.quotepath=off",
            *args,
        ],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        check=True,
        capture_output=True,
        timeout=120,
    )
    return completed.stdout

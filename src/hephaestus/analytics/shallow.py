"""A shallow clone's cut: the commits whose parents the repository does not hold.

git shows such a commit as adding every file it holds: counted, it would be a change of every
file, all of it by its author. The history readers leave these commits out, and the analyses
say the history is cut when the cut lies inside their window.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from hephaestus.analytics.churn import GIT_HINT
from hephaestus.core.git import run_git

_COMMIT_ID: Final = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")


def shallow_boundary(root: Path) -> tuple[str, ...]:
    """Return the commits a shallow clone is cut at, sorted; ``()`` in a whole clone.

    Their parents are not in the repository, so git shows each as adding every file it holds:
    counted, such a commit would be a change of every file, all of it by its author. The
    history readers leave them out (``--not``: their ancestors are absent anyway).
    """
    answer = run_git(root, "rev-parse", "--git-path", "shallow", timeout=60, install_hint=GIT_HINT)
    if not answer.ok or not answer.stdout.strip():
        return ()
    try:  # an absolute path stays itself
        text = Path(root, answer.stdout.strip()).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        return ()
    return tuple(sorted({line for line in text.split() if _COMMIT_ID.fullmatch(line)}))


def cut_inside(root: Path, boundary: tuple[str, ...], *, since: int | None) -> bool:
    """Return whether a shallow clone's cut lies in the window from ``since`` (None: all time).

    A cut whose commits are all older than the window (by commit date, as ``--since``
    selects) leaves the window whole.
    """
    if not boundary:
        return False
    if since is None:
        return True
    dates = run_git(
        root, "log", "--no-walk", "--format=%ct", *boundary, timeout=60, install_hint=GIT_HINT
    )
    return not dates.ok or any(int(t) >= since for t in dates.stdout.split() if t.isdigit())

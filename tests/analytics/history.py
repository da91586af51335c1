"""A repository with a known history, complexity and coverage, built in a temporary directory.

Commits (author, date, files, lines added/removed by ``git log --numstat``):

1. alice 2024-01-01: pkg/core.py (+6), pkg/util.py (+2), old.py (+4)
2. bob   2024-01-02: pkg/core.py (+8), README.md (not Python: never analysed)
3. alice 2024-01-03: old.py renamed to pkg/moved.py (+1)
4. bob   2024-01-04: pkg/core.py (+5), pkg/util.py (+1 -1)
5. carol 2024-01-05: 4 files (+1 each), a "large" commit when large-commit is 3

Current tree: pkg/core.py has parse (complexity 3), loop (4), Box.size (2): total 9, max 4,
15 lines of code; pkg/util.py has helper (3), 2 lines; pkg/moved.py has moved (2), 4 lines.
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING, Final

from tests.gitrepo import GIT_ENV

if TYPE_CHECKING:
    from pathlib import Path

PARSE: Final = (
    "def parse(x):\n"
    "    if x > 0:\n"
    "        return 1\n"
    "    elif x < 0:\n"
    "        return -1\n"
    "    return 0\n"
)
LOOP: Final = (
    "\n\n"
    "def loop(items):\n"
    "    total = 0\n"
    "    for i in items:\n"
    "        if i and total:\n"
    "            total += i\n"
    "    return total\n"
)
BOX: Final = "\n\nclass Box:\n    def size(self, a):\n        return a if a else 0\n"
MOVED: Final = "def moved(x):\n    while x:\n        x -= 1\n    return x\n"
TEST: Final = (
    "from pkg.core import parse\n"
    "from pkg.util import helper\n\n\n"
    "def test_it():\n"
    "    assert parse(1) == 1\n"
    "    assert helper(1, 2) == 2\n"
)


def commit(root: Path, author: str, day: int, message: str) -> None:
    """Commit everything staged, as ``author`` on 2024-01-``day`` at noon UTC."""
    date = f"2024-01-{day:02d}T12:00:00+00:00"
    env = {
        **os.environ,
        **GIT_ENV,
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": f"{author}@example.invalid",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    for args in (["add", "-A", "."], ["commit", "-q", "-m", message]):
        subprocess.run(
            ["git", "-c", "commit.gpgsign=false", *args], cwd=root, env=env, check=True,
            capture_output=True,
        )  # fmt: skip


def write(root: Path, path: str, text: str) -> None:
    """Write a file of the repository."""
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def build_history(root: Path) -> None:
    """Create the repository described in this module's docstring."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    # Coverage output, the untracked test module, the store and the bytecode that running the
    # tests writes (unless PYTHONDONTWRITEBYTECODE is set) never join a commit.
    exclude = "test_pkg.py\n.coverage\ncoverage.xml\ncoverage.json\n.hephaestus/\n__pycache__/\n"
    (root / ".git" / "info" / "exclude").write_text(exclude, encoding="utf-8")
    write(root, "pkg/core.py", PARSE)
    write(root, "pkg/util.py", "def helper(a, b):\n    return a or b\n")
    write(root, "old.py", MOVED)
    commit(root, "alice", 1, "start")
    write(root, "pkg/core.py", PARSE + LOOP)
    write(root, "README.md", "# demo\n")
    commit(root, "bob", 2, "loop")
    (root / "old.py").rename(root / "pkg" / "moved.py")
    write(root, "pkg/moved.py", MOVED + "# moved here\n")
    commit(root, "alice", 3, "move")
    write(root, "pkg/core.py", PARSE + LOOP + BOX)
    write(root, "pkg/util.py", "def helper(a, b):\n    return a and b or None\n")
    commit(root, "bob", 4, "box")
    for path in ("pkg/core.py", "pkg/util.py", "pkg/moved.py", "README.md"):
        with (root / path).open("a", encoding="utf-8") as handle:
            handle.write("# end\n")
    commit(root, "carol", 5, "reformat everything")


def run_coverage(root: Path) -> None:
    """Run pytest-cov on the repository's package: .coverage, coverage.xml, coverage.json.

    The test module stays untracked, so it is not part of the analysis.
    """
    write(root, "test_pkg.py", TEST)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_CORE", "COVERAGE"))}
    done = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
            "-o", "addopts=", "--cov=pkg", "--cov-report=xml", "--cov-report=json",
            "test_pkg.py",
        ],
        cwd=root, env=env, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

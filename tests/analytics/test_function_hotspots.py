"""``tools refactor functions``: per-function commit counts of the top hotspot files, known truth.

The repository: ``m.py`` holds ``gone`` (changed once, then deleted), ``a`` (complexity 2),
``b`` and the method ``C.m``; after the commit creating them (which counts for each: it adds
their ``def`` lines), ``a`` changes in 3 commits, ``b`` in 1, ``C.m`` in 2, and a large commit
(4 files, ``large-commit`` 3) changes ``a`` once more. ``other.py`` changes once after its
creation and is the lesser hotspot.
"""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING, Any

import pytest
from tests.analytics.history import commit, write

from hephaestus.analytics.functions import hunk_names, named_hunks
from hephaestus.core.errors import UsageError
from hephaestus.invoke import call
from hephaestus.registry import Safety, operation

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli


def _module(a: str = "1", b: str = "1", m: str = "1", *, gone: str | None = None) -> str:
    head = f"def gone():\n    return {gone}\n\n\n" if gone is not None else ""
    return (
        f"{head}def a(x):\n    if x:\n        return {a}\n    return 0\n\n\n"
        f"def b():\n    return {b}\n\n\n"
        f"class C:\n    def m(self):\n        return {m}\n"
    )


@pytest.fixture(scope="module")
def functions_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the repository of this module's docstring."""
    root = tmp_path_factory.mktemp("functions") / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    (root / ".git" / "info" / "exclude").write_text("pyproject.toml\n.hephaestus/\n")
    steps: list[tuple[dict[str, Any], dict[str, str]]] = [
        ({"gone": "0"}, {"other.py": "def z():\n    return 1\n"}),
        ({"gone": "1"}, {}),
        ({"gone": "1", "a": "2"}, {}),
        ({"a": "3"}, {}),
        ({"a": "4", "m": "2"}, {}),
        ({"a": "4", "b": "2", "m": "2"}, {"other.py": "def z():\n    return 2\n"}),
        ({"a": "4", "b": "2", "m": "3"}, {}),
        ({"a": "5", "b": "2", "m": "3"}, {"x1.txt": "1", "x2.txt": "1", "x3.txt": "1"}),
    ]
    for day, (fields, others) in enumerate(steps, start=1):
        write(root, "m.py", _module(**fields))
        for path, text in others.items():
            write(root, path, text)
        commit(root, "alice", day, f"step {day}")
    config = '[tool.hephaestus.analytics]\nsince = "2000-01-01"\nlarge-commit = 3\n'
    (root / "pyproject.toml").write_text(config, encoding="utf-8")
    return root


def _run(root: Path, **fields: Any) -> dict[str, Any]:  # noqa: ANN401
    return call("tools_refactor_functions", {"no_store": True, **fields}, cwd=root).model_dump(
        mode="json"
    )


def test_functions_is_registered_read_only() -> None:
    """The operation is read-only, under ``tools refactor functions``."""
    assert operation("tools_refactor_functions").safety == {Safety.read_only}
    assert operation("tools_refactor_functions").command == "tools refactor functions"


def test_counts_each_functions_commits(functions_repo: Path) -> None:
    """a: 4 commits (the large one left out), C.m: 3, b: 2; score = commits * complexity."""
    report = _run(functions_repo)
    assert report["files"] == ["m.py", "other.py"]
    rows = [
        (f["path"], f["function"], f["commits"], f["complexity"], f["score"], f["file_commits"])
        for f in report["functions"]
    ]
    assert rows == [
        ("m.py", "a", 4, 2, 8, 7),
        ("m.py", "C.m", 3, 1, 3, 7),
        ("m.py", "b", 2, 1, 2, 7),
        ("other.py", "z", 2, 1, 2, 2),
    ]


def test_deleted_function_is_not_listed(functions_repo: Path) -> None:
    """``gone`` changed in the window but is no longer in the tree: no row names it."""
    names = {f["function"] for f in _run(functions_repo)["functions"]}
    assert "gone" not in names
    head = _git_head(functions_repo)
    seen = {name for _, _, name in hunk_names(functions_repo, head=head, since=0, paths=["m.py"])}
    assert "gone" in seen  # git did name it: the current tree leaves it out


def test_file_outside_top_is_not_read(functions_repo: Path) -> None:
    """With --top 1 only m.py is read: git is asked about it alone."""
    report = _run(functions_repo, top=1)
    assert report["files"] == ["m.py"]
    assert {f["path"] for f in report["functions"]} == {"m.py"}
    head = _git_head(functions_repo)
    paths = {path for _, path, _ in hunk_names(functions_repo, head=head, since=0, paths=["m.py"])}
    assert paths == {"m.py"}


def test_method_hunk_header_names_the_def(functions_repo: Path) -> None:
    """Git's python driver names an indented method's ``def``, not its class."""
    head = _git_head(functions_repo)
    names = [n for _, _, n in hunk_names(functions_repo, head=head, since=0, paths=["m.py"])]
    assert names.count("m") == 3  # its creation (the def line), then two body changes


def test_window_start_limits_the_count(functions_repo: Path) -> None:
    """Commits before ``since`` are not counted (a from day 4 on: 2 commits outside large)."""
    report = _run(functions_repo, since="2024-01-04")
    counts = {f["function"]: f["commits"] for f in report["functions"]}
    assert counts == {"a": 2, "C.m": 2, "b": 1, "z": 1}


def test_cli_json_and_text(functions_repo: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command prints the report as one JSON document, and as a table."""
    monkeypatch.chdir(functions_repo)
    done = cli("--format", "json", "tools", "refactor", "functions", "--no-store")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["functions"][0]["function"] == "a"
    text = cli("tools", "refactor", "functions", "--top", "1", "--no-store")
    assert text.exit_code == 0, text.stderr
    assert "C.m" in text.stdout
    assert "top 1 hotspot file" in text.stdout


def test_hunk_starting_at_a_def_names_that_function() -> None:
    """A changed signature names its own function, not the one above (git's header)."""
    lines = [
        "\x01c1", "diff --git a/m.py b/m.py", "--- a/m.py", "+++ b/m.py",
        "@@ -5 +5 @@ def a(x):", "-def b():", "+def b(y):",
        "@@ -9 +9 @@ def b():", "-    return 1", "+    return 2",
        "@@ -12 +12 @@ class C:", "-    @cached", "+    @other",
        "@@ -20,0 +21,2 @@ def m(self):", "+", "+",
    ]  # fmt: skip
    found = list(named_hunks(lines))
    assert found == [
        ("c1", "m.py", "b"),
        ("c1", "m.py", "b"),
        ("c1", "m.py", "b"),
        ("c1", "m.py", "m"),
    ]


def _git_head(root: Path) -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_invalid_path_pattern_is_a_usage_error(functions_repo: Path) -> None:
    """A ``paths`` pattern that is not gitignore syntax is exit 2 naming the field, not a bug."""
    with pytest.raises(UsageError, match="`paths`"):
        _run(functions_repo, paths=["a\\"])

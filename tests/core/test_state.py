"""core.state: one function makes .hephaestus, always git-ignored, never through a link."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hephaestus.core.errors import ExitCode, SafetyError
from hephaestus.core.state import STATE_IGNORE, state_directory, state_directory_for

if TYPE_CHECKING:
    from pathlib import Path


def _listing(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_creates_the_directory_with_an_ignore_file(tmp_path: Path) -> None:
    """A new state directory holds a .gitignore ignoring everything; its path is returned."""
    state = state_directory(tmp_path)
    assert state == tmp_path / ".hephaestus"
    assert (state / ".gitignore").read_text(encoding="utf-8") == STATE_IGNORE
    assert "*" in STATE_IGNORE.splitlines()


def test_a_removed_ignore_file_is_written_again_and_an_edited_one_kept(tmp_path: Path) -> None:
    """Each call restores a missing .gitignore; one the user rewrote is left as it is."""
    ignore = state_directory(tmp_path) / ".gitignore"
    ignore.unlink()
    state_directory(tmp_path)
    assert ignore.read_text(encoding="utf-8") == STATE_IGNORE
    ignore.write_text("*\n!keep.json\n", encoding="utf-8")
    state_directory(tmp_path)
    assert ignore.read_text(encoding="utf-8") == "*\n!keep.json\n"


@pytest.mark.parametrize("dangling", [False, True], ids=["to-a-directory", "dangling"])
def test_a_symlinked_state_directory_is_refused_and_nothing_written_through_it(
    tmp_path: Path, *, dangling: bool
) -> None:
    """.hephaestus -> a directory outside the root: exit 3, the target stays as it was."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    if not dangling:
        outside.mkdir()
    (root / ".hephaestus").symlink_to(outside)
    with pytest.raises(SafetyError) as caught:
        state_directory(root)
    assert caught.value.exit_code is ExitCode.SAFETY
    assert "symbolic link" in caught.value.message
    assert (outside.exists() and _listing(outside) == []) or (dangling and not outside.exists())


def test_a_state_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    """A file named .hephaestus is never replaced: exit 3, and an OSError to best-effort users."""
    (tmp_path / ".hephaestus").write_text("mine", encoding="utf-8")
    with pytest.raises(SafetyError, match="not a directory") as caught:
        state_directory(tmp_path)
    assert isinstance(caught.value, OSError)
    assert caught.value.exit_code is ExitCode.SAFETY
    assert (tmp_path / ".hephaestus").read_text(encoding="utf-8") == "mine"


def test_an_ignore_file_that_is_a_link_is_replaced_never_written_through(tmp_path: Path) -> None:
    """.hephaestus/.gitignore -> a file outside: the link is replaced, the file untouched."""
    outside = tmp_path / "precious.txt"
    outside.write_text("precious", encoding="utf-8")
    root = tmp_path / "root"
    (root / ".hephaestus").mkdir(parents=True)
    (root / ".hephaestus" / ".gitignore").symlink_to(outside)
    state_directory(root)
    ignore = root / ".hephaestus" / ".gitignore"
    assert not ignore.is_symlink()
    assert ignore.read_text(encoding="utf-8") == STATE_IGNORE
    assert outside.read_text(encoding="utf-8") == "precious"


@settings(max_examples=50, deadline=None)
@given(
    parts=st.lists(
        st.sampled_from([".hephaestus", "..", ".", "audit", "x.json", ".hephaestusx", "sub"]),
        max_size=5,
    )
)
def test_state_is_made_exactly_for_paths_lexically_inside_it(
    tmp_path_factory: pytest.TempPathFactory, parts: list[str]
) -> None:
    """A path inside ROOT/.hephaestus (after folding '..') makes the state directory; others not."""
    root = tmp_path_factory.mktemp("root")
    path = root.joinpath(*parts)
    inside = os.path.abspath(path).startswith(f"{root}/.hephaestus/") or (  # noqa: PTH100
        os.path.abspath(path) == f"{root}/.hephaestus"  # noqa: PTH100
    )
    made = state_directory_for(path, root=root)
    assert (made is not None) == inside
    assert (root / ".hephaestus" / ".gitignore").is_file() == inside

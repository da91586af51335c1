"""`hephaestus.core.fs`: dangerous paths, "inside root", venvs, git-tracked paths, safe removal."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import venv
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.gitrepo import git
from tests.strategies import file_names

from hephaestus.core.errors import ExitCode, ExternalError, SafetyError, ToolNotFoundError
from hephaestus.core.fs import (
    SYSTEM_DIRECTORIES,
    check_deletable_root,
    is_inside,
    is_virtualenv,
    remove_path,
    tracked_paths,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

NON_UTF8 = os.fsdecode(b"caf\xe9 \xff.txt")
"""A file name that is not UTF-8, as os.scandir spells it (surrogate escapes)."""


def _repository(path: Path, files: dict[str, bytes]) -> Path:
    """Create a git repository at ``path`` with ``files`` committed."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    for name, content in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    git(path, "add", "-f", "--", *files)
    git(path, "commit", "-q", "--allow-empty", "-m", "files")
    return path


def _refusal(path: Path, *, home: Path | None = None) -> SafetyError:
    """Return the SafetyError ``check_deletable_root`` raises for ``path``."""
    with pytest.raises(SafetyError) as caught:
        check_deletable_root(path, home=home)
    error = caught.value
    assert error.exit_code is ExitCode.SAFETY
    assert int(error.exit_code) == 3
    assert error.code == "dangerous-path"
    assert error.hint
    assert "\n" not in error.message, "the refusal must be one line"
    return error


def _snapshot(top: Path) -> dict[str, tuple[str, int, str]]:
    """Every path under ``top`` (lstat, symlinks not followed): kind, mode and content digest."""
    seen: dict[str, tuple[str, int, str]] = {}
    for directory, dirnames, filenames in os.walk(top):
        for name in [*dirnames, *filenames]:
            path = os.path.join(directory, name)  # noqa: PTH118  # os.walk yields str
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                seen[path] = ("link", info.st_mode, os.readlink(path))  # noqa: PTH115  # exact text
            elif stat.S_ISDIR(info.st_mode):
                seen[path] = ("dir", info.st_mode, "")
            else:
                digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
                seen[path] = ("file", info.st_mode, digest)
    return seen


@pytest.fixture
def outside(tmp_path: Path) -> Iterator[Path]:
    """A precious directory outside every tree under test; byte-identical at the end."""
    precious = tmp_path / "outside"
    (precious / "data").mkdir(parents=True)
    (precious / "data" / "keep.txt").write_text("precious\n", encoding="utf-8")
    (precious / "keep.txt").write_text("precious too\n", encoding="utf-8")
    (precious / "__pycache__").mkdir()
    (precious / "__pycache__" / "keep.pyc").write_bytes(b"\x00precious")
    before = _snapshot(precious)
    yield precious
    assert _snapshot(precious) == before


# --- check_deletable_root ---------------------------------------------------------------------


def test_refuses_the_filesystem_root() -> None:
    """`/` is refused, naming the filesystem-root rule."""
    error = _refusal(Path("/"))
    assert "filesystem root" in error.message


@pytest.mark.parametrize(
    "spelling",
    ["/etc/..", "/usr/../..", "/tmp/../../..", "//", "/./"],  # noqa: S108  # never written to
)
def test_refuses_spellings_that_resolve_to_the_filesystem_root(spelling: str) -> None:
    """`..` and repeated separators do not get the filesystem root past the check."""
    error = _refusal(Path(spelling))
    assert "filesystem root" in error.message


def test_refuses_the_home_directory_and_its_ancestors(tmp_path: Path) -> None:
    """The home directory and every ancestor of it are refused; the rule names home."""
    home = tmp_path / "a" / "b"
    home.mkdir(parents=True)
    for path in (home, tmp_path / "a", tmp_path, home / ".." / ".."):
        error = _refusal(path, home=home)
        assert "home directory" in error.message
        assert str(home.resolve()) in error.message


def test_refuses_home_reached_through_a_symlink(tmp_path: Path) -> None:
    """A symlink to the home directory resolves to it and is refused."""
    home = tmp_path / "a" / "b"
    home.mkdir(parents=True)
    link = tmp_path / "to-home"
    link.symlink_to(home)
    assert "home directory" in _refusal(link, home=home).message


def test_refuses_a_symlinked_home_directory_itself(tmp_path: Path) -> None:
    """When home is given as a symlink, its resolved target and ancestors are refused."""
    real = tmp_path / "real" / "home"
    real.mkdir(parents=True)
    home_link = tmp_path / "home-link"
    home_link.symlink_to(real)
    assert "home directory" in _refusal(real, home=home_link).message
    assert "home directory" in _refusal(tmp_path / "real", home=home_link).message


def test_tilde_expands_to_the_home_directory() -> None:
    """`~` and `~/..` are expanded (HOME is isolated per test) and refused as home or ancestor."""
    home = Path(os.environ["HOME"])
    assert "home directory" in _refusal(Path("~")).message
    assert "home directory" in _refusal(Path("~/..")).message
    assert "home directory" in _refusal(Path("~"), home=home).message


def test_accepts_a_directory_inside_home(tmp_path: Path) -> None:
    """A project below the home directory is allowed (only home and its ancestors are refused)."""
    project = Path(os.environ["HOME"]) / "src" / "project"
    project.mkdir(parents=True)
    assert check_deletable_root(Path("~/src/project")) == project.resolve()
    assert check_deletable_root(project, home=tmp_path / "home") == project.resolve()


def test_accepts_a_normal_project_directory_and_returns_it_resolved(tmp_path: Path) -> None:
    """A project directory in a temporary area is accepted and returned resolved."""
    project = tmp_path / "work" / "project"
    (project / "sub").mkdir(parents=True)
    assert check_deletable_root(project) == project.resolve()
    assert check_deletable_root(project / "sub" / "..") == project.resolve()
    link = tmp_path / "link-to-project"
    link.symlink_to(project)
    assert check_deletable_root(link) == project.resolve()


@pytest.mark.parametrize(
    "path",
    [
        *("/usr", "/usr/lib", "/usr/local/src/project", "/etc", "/opt", "/root", "/srv"),
        "/var/tmp",  # noqa: S108  # never written to
    ],
)
def test_refuses_system_directories_and_everything_under_them(path: str) -> None:
    """System directories and their descendants are refused, naming the system-directory rule."""
    error = _refusal(Path(path))
    assert "system directory" in error.message


@pytest.mark.parametrize("path", ["/lib", "/lib64", "/lib32", "/libx32", "/libexec/thing"])
def test_refuses_every_top_level_lib_directory(path: str) -> None:
    """Any top-level `/lib*` (existing or not, symlink or not) is refused as a system directory."""
    assert "system directory" in _refusal(Path(path)).message


def test_refuses_parent_dir_tricks_into_system_directories(tmp_path: Path) -> None:
    """A path that climbs out of a temporary directory into `/etc` is refused once resolved."""
    climb = "/".join([".."] * len(tmp_path.parts))
    error = _refusal(tmp_path / climb / "etc")
    assert "system directory /etc" in error.message


def test_refuses_a_symlink_that_resolves_to_usr(tmp_path: Path) -> None:
    """A symlink in a temporary directory pointing to `/usr` is resolved and refused."""
    link = tmp_path / "innocent"
    link.symlink_to("/usr")
    assert "system directory /usr" in _refusal(link).message
    assert "system directory /usr" in _refusal(link / "share").message


def test_refusal_message_is_one_line_even_for_hostile_names() -> None:
    """The refusal is one line naming the rule, even if the path holds a newline or escapes."""
    error = _refusal(Path(os.fsdecode(b"/usr/evil\nname\x1b[2J\xff")))
    assert "\n" not in error.message
    assert "\x1b" not in error.message
    assert "system directory /usr" in error.message


_SEGMENT = file_names(12).filter(lambda name: name not in {".", ".."})

_SYSTEM_TOPS = st.sampled_from(SYSTEM_DIRECTORIES) | st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz0123456789_-", max_size=6
).map(lambda suffix: f"/lib{suffix}")


@settings(max_examples=200, deadline=None)
@given(top=_SYSTEM_TOPS, segments=st.lists(_SEGMENT, max_size=4))
def test_refuses_any_path_under_any_system_directory(top: str, segments: list[str]) -> None:
    """Every generated path under a system directory is refused with exit 3 and the rule named."""
    # The first segment is made unique so no real symlink (e.g. /dev/fd) redirects the path.
    parts = [f"hephaestus-probe-{segments[0]}", *segments[1:]] if segments else []
    path = Path(top, *parts)
    with pytest.raises(SafetyError) as caught:
        check_deletable_root(path, home=Path("/nonexistent-home/user"))
    assert caught.value.exit_code is ExitCode.SAFETY
    assert caught.value.code == "dangerous-path"
    assert "system directory" in caught.value.message
    assert "\n" not in caught.value.message


# --- is_inside --------------------------------------------------------------------------------


def test_is_inside_on_plain_paths(tmp_path: Path) -> None:
    """The root itself and its descendants are inside; siblings sharing a prefix are not."""
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    (tmp_path / "root2").mkdir()
    assert is_inside(root, root)
    assert is_inside(root / "a" / "b", root)
    assert is_inside(root / "not" / "yet", root)
    assert not is_inside(tmp_path / "root2", root)
    assert not is_inside(tmp_path, root)


def test_is_inside_resolves_parent_references(tmp_path: Path) -> None:
    """`..` is resolved first: `root/a/..` is inside, `root/a/../..` and `root/../x` are not."""
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    assert is_inside(root / "a" / "..", root)
    assert not is_inside(root / "a" / ".." / "..", root)
    assert not is_inside(root / ".." / "root2", root)
    assert is_inside(tmp_path / "elsewhere" / ".." / "root" / "a", root)


def test_is_inside_resolves_symlinks(tmp_path: Path, outside: Path) -> None:
    """A link inside root pointing out is outside; a link outside pointing in is inside."""
    root = tmp_path / "root"
    (root / "real").mkdir(parents=True)
    (root / "escape").symlink_to(outside)
    (tmp_path / "way-in").symlink_to(root / "real")
    root_link = tmp_path / "root-link"
    root_link.symlink_to(root)
    assert not is_inside(root / "escape", root)
    assert not is_inside(root / "escape" / "data", root)
    assert is_inside(tmp_path / "way-in", root)
    assert is_inside(root / "real", root_link)
    assert is_inside(root_link / "real", root)


# --- is_virtualenv ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ({"pyvenv.cfg", "bin", "lib"}, True),
        ({"conda-meta", "bin"}, True),
        (frozenset({"pyvenv.cfg"}), True),
        (set(), False),
        ({"bin", "lib", "include", "share"}, False),
        ({".venv", "venv", "env"}, False),
        ({"pyvenv.cfg.bak", "conda-meta~", "Pyvenv.cfg"}, False),
    ],
)
def test_is_virtualenv_by_contents_never_by_name(names: set[str], expected: bool) -> None:
    """A listing is a venv iff it holds `pyvenv.cfg` or `conda-meta`, whatever else it holds."""
    assert is_virtualenv(names) is expected


def test_is_virtualenv_recognises_a_real_venv_with_any_name(tmp_path: Path) -> None:
    """A venv made by the standard library, named like a cache, is recognised by its listing."""
    location = tmp_path / "build"
    venv.create(location, with_pip=False, symlinks=True)
    assert is_virtualenv({p.name for p in location.iterdir()})
    assert not is_virtualenv({p.name for p in (location / "bin").iterdir()})


# --- tracked_paths ----------------------------------------------------------------------------


def test_tracked_paths_lists_exact_names_relative_and_slash_separated(tmp_path: Path) -> None:
    """Spaces, newlines and non-UTF-8 bytes come back exactly as scandir names."""
    files = {
        "plain.txt": b"1",
        "dir with space/file name.txt": b"2",
        "new\nline.txt": b"3",
        "tab\tname": b"4",
        f"sub/{NON_UTF8}": b"5",
        "build/lib/pkg.py": b"6",
        "x.pyc": b"7",
    }
    repo = _repository(tmp_path / "repo", files)
    (repo / "untracked.txt").write_text("no", encoding="utf-8")
    (repo / "__pycache__").mkdir()
    (repo / "__pycache__" / "u.pyc").write_bytes(b"u")
    tracked = list(tracked_paths(repo))
    assert sorted(tracked) == sorted(files)
    assert NON_UTF8 in {p.name for p in (repo / "sub").iterdir()}
    assert all(not p.startswith("/") and "\\" not in p for p in tracked)


def test_tracked_paths_keep_carriage_returns(tmp_path: Path) -> None:
    """Names with a carriage return (the macOS `Icon` file) come back unchanged, not as newlines."""
    files = {"Icon\r": b"icon", "pkg/Icon\r": b"icon", "a\r\nb.pyc": b"c", "c\r.pyc": b"d"}
    repo = _repository(tmp_path / "repo", files)
    assert sorted(tracked_paths(repo)) == sorted(files)


def test_tracked_paths_include_submodules(tmp_path: Path) -> None:
    """Files of a submodule are listed with the submodule's path as prefix."""
    library = _repository(tmp_path / "library", {"lib.py": b"x", "cache/tracked.pyc": b"y"})
    repo = _repository(tmp_path / "repo", {"main.py": b"z"})
    git(
        repo,
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        str(library),
        "vendor/library",
    )
    git(repo, "commit", "-q", "-m", "submodule")
    tracked = set(tracked_paths(repo))
    assert tracked == {
        ".gitmodules",
        "main.py",
        "vendor/library/lib.py",
        "vendor/library/cache/tracked.pyc",
    }


def test_tracked_paths_of_an_empty_repository_is_empty(tmp_path: Path) -> None:
    """A fresh repository tracks nothing, and that is an answer, not an error."""
    repo = tmp_path / "empty"
    repo.mkdir()
    git(repo, "init", "-q")
    assert list(tracked_paths(repo)) == []


def test_tracked_paths_fails_closed_when_git_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `.git` present but no git on PATH it raises (exit 5), never answers "nothing"."""
    repo = _repository(tmp_path / "repo", {"keep.pyc": b"k"})
    empty_bin = tmp_path / "empty-bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    with pytest.raises(ToolNotFoundError) as caught:
        list(tracked_paths(repo))  # the paths stream: errors arrive while reading
    assert caught.value.exit_code is ExitCode.EXTERNAL
    assert caught.value.code == "tool-not-found"
    assert caught.value.hint is not None
    assert "git" in caught.value.hint


def test_tracked_paths_raises_when_git_fails_on_a_broken_repository(tmp_path: Path) -> None:
    """A `.git` that points nowhere makes git fail: ExternalError (exit 5), naming git."""
    repo = tmp_path / "broken"
    repo.mkdir()
    (repo / ".git").write_text("gitdir: /nonexistent/hephaestus/gitdir\n", encoding="utf-8")
    with pytest.raises(ExternalError) as caught:
        list(tracked_paths(repo))  # the paths stream: errors arrive while reading
    assert not isinstance(caught.value, ToolNotFoundError)
    assert caught.value.exit_code is ExitCode.EXTERNAL
    assert "git" in caught.value.message
    assert "\n" not in caught.value.message


def test_tracked_paths_raises_outside_any_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside every repository git fails, and tracked_paths says so instead of returning []."""
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    with pytest.raises(ExternalError) as caught:
        list(tracked_paths(plain))
    assert caught.value.exit_code is ExitCode.EXTERNAL


# --- remove_path ------------------------------------------------------------------------------


def test_rmtree_is_safe_against_symlink_attacks() -> None:
    """The platform's rmtree is the fd-based one that never follows a swapped-in symlink."""
    assert shutil.rmtree.avoids_symlink_attacks


def test_remove_path_removes_a_file(tmp_path: Path) -> None:
    """A regular file (even read-only) is removed."""
    target = tmp_path / "x.pyc"
    target.write_bytes(b"x")
    target.chmod(0o444)
    remove_path(target)
    assert not os.path.lexists(target)


def test_remove_path_unlinks_a_symlink_to_a_directory_and_keeps_the_target(
    tmp_path: Path, outside: Path
) -> None:
    """A symlink to a directory is removed as a link; the directory it names is untouched."""
    link = tmp_path / "__pycache__"
    link.symlink_to(outside)
    remove_path(link)
    assert not os.path.lexists(link)


def test_remove_path_unlinks_symlinks_to_files_and_dangling_links(
    tmp_path: Path, outside: Path
) -> None:
    """Links to a file and dangling links go; the file they name stays."""
    to_file = tmp_path / "x.pyc"
    to_file.symlink_to(outside / "keep.txt")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    remove_path(to_file)
    remove_path(dangling)
    assert not os.path.lexists(to_file)
    assert not os.path.lexists(dangling)


def test_remove_path_removes_a_tree_without_following_its_symlinks(
    tmp_path: Path, outside: Path
) -> None:
    """A tree holding links to outside directories and files goes; the targets stay."""
    tree = tmp_path / "build"
    (tree / "deep" / "deeper").mkdir(parents=True)
    (tree / "deep" / "deeper" / "f.txt").write_text("x", encoding="utf-8")
    (tree / "deep" / "to-dir").symlink_to(outside)
    (tree / "deep" / "deeper" / "to-data").symlink_to(outside / "data")
    (tree / "to-file").symlink_to(outside / "keep.txt")
    (tree / "relative").symlink_to(Path("..") / ".." / "outside")
    (tree / "loop").symlink_to(tree)
    (tree / "ro.txt").write_text("r", encoding="utf-8")
    (tree / "ro.txt").chmod(0o444)
    (tree / "deep").chmod(0o555)
    remove_path(tree)
    assert not os.path.lexists(tree)
    assert (tmp_path / "outside" / "data" / "keep.txt").read_text(encoding="utf-8") == "precious\n"


def test_remove_path_of_a_vanished_path_is_not_an_error(tmp_path: Path) -> None:
    """A path that does not exist (already gone) is silently fine."""
    remove_path(tmp_path / "gone")
    remove_path(tmp_path / "gone" / "deeper")
    assert not os.path.lexists(tmp_path / "gone")


def test_remove_path_keeps_names_that_are_not_utf8(tmp_path: Path) -> None:
    """A non-UTF-8 name is removed exactly; its UTF-8-looking neighbour stays."""
    odd = tmp_path / NON_UTF8
    odd.mkdir()
    (odd / "f").write_bytes(b"f")
    neighbour = tmp_path / "caf\u00e9 \u00ff.txt"
    neighbour.write_bytes(b"n")
    remove_path(odd)
    assert not os.path.lexists(odd)
    assert neighbour.read_bytes() == b"n"


def test_write_atomic_replaces_whole_or_not_at_all(tmp_path: Path) -> None:
    """write_atomic replaces the file; a failed write leaves the old file and no temp file."""
    from hephaestus.core.fs import write_atomic  # noqa: PLC0415  # the function under test

    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "report.json"
    write_atomic(target, "old")
    write_atomic(target, b"new")
    assert target.read_text() == "new"

    occupied = folder / "occupied"  # a non-empty directory: the final rename must fail
    occupied.mkdir()
    (occupied / "keep").write_text("kept")
    with pytest.raises(OSError):  # noqa: PT011  # IsADirectoryError or ENOTEMPTY by platform
        write_atomic(occupied, "x")
    assert (occupied / "keep").read_text() == "kept"
    assert sorted(p.name for p in folder.iterdir()) == ["occupied", "report.json"]

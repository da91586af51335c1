"""core.git: every git call answers for the repository it names, whatever GIT_* a hook set."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.gitrepo import GIT_ENV, git

from hephaestus.core.config import find_repository_root
from hephaestus.core.fs import tracked_paths
from hephaestus.core.git import git_environment, open_git, run_git, stream_git
from hephaestus.core.streams import RecordStream, stream_records

SRC = Path(__file__).resolve().parents[2] / "src" / "hephaestus"
HEPHAESTUS = str(Path(sys.executable).parent / "hephaestus")


def _commit(root: Path, files: dict[str, str]) -> Path:
    """Make ``root`` a repository with ``files`` committed."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    git(root, "add", *files)
    git(root, "commit", "-q", "-m", "initial")
    return root


@dataclass(frozen=True, slots=True)
class Repositories:
    """The repository meant, and another one (with another index) the environment points at."""

    meant: Path
    other: Path
    other_index: Path

    def redirects(self) -> dict[str, dict[str, str]]:
        """Each hazard: the variables a hook (or a parent `git -c`) may leave set."""
        other, dot_git = str(self.other), str(self.other / ".git")
        worktree = {"core.worktree": other}
        return {
            "GIT_DIR": {"GIT_DIR": dot_git},
            "GIT_WORK_TREE": {"GIT_WORK_TREE": other},
            "GIT_INDEX_FILE": {"GIT_INDEX_FILE": str(self.other_index)},
            "GIT_OBJECT_DIRECTORY": {"GIT_OBJECT_DIRECTORY": f"{dot_git}/objects"},
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": {
                "GIT_ALTERNATE_OBJECT_DIRECTORIES": f"{dot_git}/objects"
            },
            "GIT_COMMON_DIR": {"GIT_COMMON_DIR": dot_git},
            "GIT_NAMESPACE": {"GIT_NAMESPACE": "elsewhere"},
            "GIT_CEILING_DIRECTORIES": {"GIT_CEILING_DIRECTORIES": str(self.meant)},
            "GIT_DISCOVERY_ACROSS_FILESYSTEM": {"GIT_DISCOVERY_ACROSS_FILESYSTEM": "1"},
            "GIT_CONFIG_PARAMETERS": {
                "GIT_CONFIG_PARAMETERS": " ".join(f"'{k}'='{v}'" for k, v in worktree.items())
            },
            "GIT_CONFIG_COUNT": {
                "GIT_CONFIG_COUNT": "1",
                "GIT_CONFIG_KEY_0": "core.worktree",
                "GIT_CONFIG_VALUE_0": other,
            },
            "GIT_ICASE_PATHSPECS": {"GIT_ICASE_PATHSPECS": "1"},
            "GIT_PREFIX": {"GIT_PREFIX": "elsewhere/"},
            "GIT_QUARANTINE_PATH": {"GIT_QUARANTINE_PATH": f"{dot_git}/objects"},
        }


MEANT = {"a.txt": "a\n", "sub/b.txt": "b\n", "sub/deeper/c.txt": "c\n"}


@pytest.fixture(scope="module")
def repositories(tmp_path_factory: pytest.TempPathFactory) -> Repositories:
    """Two committed repositories, and an index of the other one listing a file of neither."""
    top = Path(os.path.realpath(tmp_path_factory.mktemp("git")))
    meant = _commit(top / "meant", MEANT)
    other = _commit(top / "other", {"elsewhere.txt": "x\n", "build/keep.txt": "x\n"})
    (other / "intruder.txt").write_text("x\n", encoding="utf-8")
    index = top / "other-index"
    subprocess.run(
        ["git", "add", "elsewhere.txt", "intruder.txt"],
        cwd=other,
        env={**os.environ, **GIT_ENV, "GIT_INDEX_FILE": str(index)},
        check=True,
        timeout=60,
    )
    return Repositories(meant, other, index)


def test_the_hazard_is_real(repositories: Repositories) -> None:
    """Plain git with a hook's variables answers for the other repository: what core.git undoes."""
    env = {**os.environ, **repositories.redirects()["GIT_DIR"]}
    env.update(repositories.redirects()["GIT_WORK_TREE"])
    listed = subprocess.run(
        ["git", "ls-files"], cwd=repositories.meant, env=env, capture_output=True, check=True
    )
    assert listed.stdout.decode().split() == ["build/keep.txt", "elsewhere.txt"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_git_answers_for_the_repository_meant_whatever_the_environment(
    repositories: Repositories, data: st.DataObject
) -> None:
    """Any mix of redirecting variables: ls-files and rev-parse answer for the repository meant."""
    hazards = repositories.redirects()
    chosen = data.draw(st.sets(st.sampled_from(sorted(hazards)), min_size=1), label="variables")
    start = data.draw(st.sampled_from(["", "sub", "sub/deeper"]), label="start")
    meant = repositories.meant
    variables = {k: v for name in chosen for k, v in hazards[name].items()}
    with mock.patch.dict(os.environ, variables):
        top = run_git(meant / start, "rev-parse", "--show-toplevel", timeout=30)
        full = set(stream_git(meant, "ls-files", "-z", timeout=30))
        below = set(stream_git(meant / start, "ls-files", "-z", "--full-name", timeout=30))
        with open_git(meant, "ls-files", "-z", timeout=30) as stream:
            opened = set(stream)
        protected = set(tracked_paths(meant))
        root = find_repository_root(meant / start)
    assert top.ok, top.stderr
    assert top.stdout.strip() == str(meant)
    assert root == meant
    assert full == opened == protected == set(MEANT)
    assert below == {p for p in MEANT if p.startswith(f"{start}/" if start else "")}


def test_environment_removes_every_git_variable_but_the_kept_ones() -> None:
    """Unknown GIT_* variables go too; configuration locations, ssh and tracing stay."""
    environ = {
        "GIT_DIR": "/elsewhere/.git",
        "GIT_INDEX_FILE": "/elsewhere/index",
        "GIT_SOMETHING_NEW": "1",
        "GIT_CONFIG_KEY_3": "core.worktree",
        "GIT_CONFIG_GLOBAL": "/ci/gitconfig",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_EXEC_PATH": "/opt/git/libexec",
        "GIT_SSH_COMMAND": "ssh -i key",
        "GIT_TRACE2_EVENT": "/var/log/git-trace",
        "GIT_TERMINAL_PROMPT": "0",
        "PATH": "/usr/bin",
        "MY_GIT_DIR": "not git's",
    }
    overrides = git_environment({"GIT_FLUSH": "0", "GIT_DIR": None}, environ=environ)
    assert overrides == {
        "GIT_DIR": None,
        "GIT_INDEX_FILE": None,
        "GIT_SOMETHING_NEW": None,
        "GIT_CONFIG_KEY_3": None,
        "GIT_FLUSH": "0",
    }


def test_kept_global_configuration_is_read_and_explicit_variables_win(
    repositories: Repositories, tmp_path: Path
) -> None:
    """GIT_CONFIG_GLOBAL still names the user's configuration; a caller's own env is applied."""
    config = tmp_path / "gitconfig"
    config.write_text("[hephaestus]\n\tprobe = global\n", encoding="utf-8")
    explicit = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "x.y", "GIT_CONFIG_VALUE_0": "z"}
    with mock.patch.dict(os.environ, {"GIT_CONFIG_GLOBAL": str(config)}):
        found = run_git(repositories.meant, "config", "--get", "hephaestus.probe", timeout=30)
        given_env = run_git(repositories.meant, "config", "--get", "x.y", timeout=30, env=explicit)
    assert found.stdout.strip() == "global"
    assert given_env.stdout.strip() == "z"


def test_record_streams_remove_a_variable_given_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Record streams, like proc.run, remove a variable whose value is None."""
    monkeypatch.setenv("PROBE_REMOVED", "inherited")
    env = {"PROBE_REMOVED": None, "PROBE_ADDED": "x"}
    streamed = list(stream_records(["env", "-0"], cwd=tmp_path, timeout=30, env=env))
    with RecordStream(["env", "-0"], cwd=tmp_path, timeout=30, env=env) as stream:
        opened = list(stream)
    for records in (streamed, opened):
        assert "PROBE_ADDED=x" in records
        assert not any(r.startswith("PROBE_REMOVED=") for r in records)


def _git_argv_sites(path: Path) -> list[int]:
    """Lines of ``path`` holding a list or tuple literal whose first element is ``"git"``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.List | ast.Tuple)
        and node.elts
        and isinstance(node.elts[0], ast.Constant)
        and node.elts[0].value == "git"
    ]


def test_git_is_run_from_core_git_only() -> None:
    """No module but core/git.py builds an argv starting with "git" (nor wraps it in `env`)."""
    offenders = {
        str(path.relative_to(SRC)): lines
        for path in sorted(SRC.rglob("*.py"))
        if path != SRC / "core" / "git.py"
        if (lines := _git_argv_sites(path))
        or any(token in path.read_text(encoding="utf-8") for token in ('["git"', '("git"'))
    }
    assert offenders == {}, "run git through hephaestus.core.git"
    assert _git_argv_sites(SRC / "core" / "git.py"), "the scan finds the one real site"


# --- end to end: cleanup run from a hook ---------------------------------------------------


@pytest.fixture
def hooked(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """A repository, a nested one, both with a tracked build/ file; a hook's env for another."""
    root = _commit(
        tmp_path / "repo", {"pyproject.toml": "[project]\nname='x'\n", "build/keep.txt": "k\n"}
    )
    nested = _commit(
        root / "vendor" / "nested",
        {"pyproject.toml": "[project]\nname='n'\n", "build/nested.txt": "n\n"},
    )
    for debris in ("pkg/__pycache__/m.pyc", "vendor/nested/__pycache__/n.pyc"):
        (root / debris).parent.mkdir(parents=True)
        (root / debris).write_bytes(b"debris")
    other = _commit(tmp_path / "other", {"unrelated.txt": "u\n"})
    hook = {
        "GIT_DIR": str(other / ".git"),
        "GIT_WORK_TREE": str(other),
        "GIT_INDEX_FILE": str(other / ".git" / "index"),
    }
    return root, nested, hook


@pytest.mark.parametrize("named", [True, False], ids=["root-named", "root-found"])
def test_cleanup_in_a_hook_of_another_repository_removes_no_tracked_file(
    hooked: tuple[Path, Path, dict[str, str]], tmp_path: Path, *, named: bool
) -> None:
    """`hephaestus cleanup --yes` with GIT_DIR/GIT_WORK_TREE/GIT_INDEX_FILE set elsewhere."""
    root, nested, hook = hooked
    tracked = [root / "build" / "keep.txt", nested / "build" / "nested.txt"]
    argv = [HEPHAESTUS, "--format", "json", "cleanup", "--deep-clean", "--yes"]
    done = subprocess.run(
        [*argv, str(root)] if named else argv,
        cwd=root,
        env={**os.environ, **hook},
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert all(path.is_file() for path in tracked), "a tracked file was removed"
    assert Path(json.loads(done.stdout)["root"]) == root
    assert not (root / "pkg" / "__pycache__").exists(), "the debris stays: cleanup did not run"
    assert not (nested / "__pycache__").exists()
    assert (tmp_path / "other" / "unrelated.txt").is_file()

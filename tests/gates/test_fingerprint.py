from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.gitrepo import git

from hephaestus.core.state import state_directory
from hephaestus.gates import fingerprint
from hephaestus.gates.fingerprint import STAT_CACHE_NAME, Fingerprint, StatCache
from hephaestus.gates.spec import Gate, GateConfig

if TYPE_CHECKING:
    from collections.abc import Mapping


class AllGate(Gate[GateConfig]):
    """Reads every file."""

    name: ClassVar[str] = "all"
    description: ClassVar[str] = "reads everything"
    tool: ClassVar[str | None] = None
    inputs: ClassVar[tuple[str, ...]] = ("*",)


class PythonGate(AllGate):
    """Reads Python files, a ruff-like configuration chain, user files and PYTEST_* variables."""

    name: ClassVar[str] = "python"
    inputs: ClassVar[tuple[str, ...]] = ("*.py",)
    config_files: ClassVar[tuple[str, ...]] = ("ruff.toml", ".ruff.toml")
    user_config: ClassVar[tuple[str, ...]] = ("ruff/ruff.toml", "~/.pdbrc")
    environment_variables: ClassVar[tuple[str, ...]] = ("PYTEST_*",)


class TextGate(AllGate):
    """Reads text files only."""

    name: ClassVar[str] = "text"
    inputs: ClassVar[tuple[str, ...]] = ("*.txt",)


def put(root: Path, name: str, data: bytes = b"x\n") -> Path:
    """Write ``data`` to ``root/name``, creating its directories; return the path."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def digest(
    root: Path,
    gate: type[Gate[Any]] = AllGate,
    environ: Mapping[str, str | None] | None = None,
) -> str:
    """The digest a new run (a new Fingerprint, the persisted stat cache) gives ``gate``."""
    found = Fingerprint(root, state=state_directory(root))
    value = found.digest(gate(), environ=environ)
    found.save()
    return value


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed repository below tmp_path/outer, with ignored modules and test data."""
    root = tmp_path / "outer" / "repo"
    root.mkdir(parents=True)
    git(root, "init", "-q")
    put(root, ".gitignore", b"generated/\n*.dat\n.venv/\n__pycache__/\n.mypy_cache/\n")
    put(root, "pkg/mod.py", b"from generated import schema\n")
    put(root, "notes.txt", b"notes\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "init")
    put(root, "generated/schema.py", b"VERSION = 1\n")
    put(root, "tests/data/sample.dat", b"\x00\x01")
    put(root, ".venv/pyvenv.cfg", b"home = /usr/bin\n")
    return root


@pytest.mark.parametrize(
    ("name", "data"),
    [("generated/schema.py", b"VERSION = 2\n"), ("tests/data/sample.dat", b"\x00\x02")],
)
def test_ignored_files_change_the_digest(repo: Path, name: str, data: bytes) -> None:
    """A git-ignored module or ignored test data is read by tools: changing it changes the key."""
    before = digest(repo)
    put(repo, name, data)
    assert digest(repo) != before


def test_ignored_module_matched_by_pattern_changes_a_python_gate(repo: Path) -> None:
    """An ignored .py file is part of a *.py gate's inputs; a text file is not."""
    before = digest(repo, PythonGate)
    put(repo, "notes.txt", b"changed\n")
    assert digest(repo, PythonGate) == before
    put(repo, "generated/schema.py", b"VERSION = 3\n")
    assert digest(repo, PythonGate) != before


@pytest.mark.parametrize(
    "name",
    [
        ".venv/lib/python3.11/site-packages/x.py",
        "env/lib/site.py",
        ".git/description",
        "pkg/__pycache__/mod.cpython-311.pyc",
        ".mypy_cache/3.11/pkg.json",
        ".hephaestus/cache/gates/x.json",
        "node_modules/left-pad/index.js",
        ".tox/py311/log.txt",
    ],
)
def test_environments_vcs_data_and_tool_state_never_change_the_digest(
    repo: Path, name: str
) -> None:
    """Writing below .venv, another venv, .git, caches or .hephaestus keeps the digest."""
    put(repo, "env/pyvenv.cfg", b"home = /usr/bin\n")
    before = digest(repo)
    put(repo, name, b"anything\n")
    assert digest(repo) == before


def test_a_commit_alone_keeps_the_digest(repo: Path) -> None:
    """Committing changes git's data, not the files: the digest stays."""
    put(repo, "new.py")
    before = digest(repo)
    git(repo, "add", "new.py")
    git(repo, "commit", "-q", "-m", "more")
    assert digest(repo) == before


def test_environment_variables_declared_by_the_gate(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PYTEST_ADDOPTS changes a gate declaring PYTEST_*, not one that does not declare it."""
    python, text = digest(repo, PythonGate), digest(repo, TextGate)
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:cacheprovider")
    assert digest(repo, PythonGate) != python
    assert digest(repo, TextGate) == text


def test_universal_variables_count_for_every_gate(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PYTHONPATH, PATH and the locale change every gate's digest; an unrelated variable not."""
    before = digest(repo, TextGate)
    monkeypatch.setenv("HEPHAESTUS_UNRELATED", "1")
    assert digest(repo, TextGate) == before
    for name, value in (("PYTHONPATH", "/x"), ("PATH", "/y"), ("LC_ALL", "C")):
        with monkeypatch.context() as patch:
            patch.setenv(name, value)
            assert digest(repo, TextGate) != before, name
    assert digest(repo, TextGate) == before


def test_home_is_not_part_of_the_digest(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what tools read under HOME counts, by content; HOME's value itself does not."""
    before = digest(repo, TextGate)
    other = repo.parent / "other-home"
    other.mkdir()
    monkeypatch.setenv("HOME", str(other))
    assert digest(repo, TextGate) == before


def test_the_process_environment_is_what_counts(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Variables the runner sets or removes for the tool's process replace the inherited ones."""
    monkeypatch.delenv("PYTEST_CURRENT_TEST", raising=False)
    before = digest(repo, PythonGate)
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "t.py::test (call)")
    assert digest(repo, PythonGate, {"PYTEST_CURRENT_TEST": None}) == before
    assert digest(repo, PythonGate, {"PYTEST_ADDOPTS": "-x"}) != before


@pytest.mark.parametrize("name", ["ruff.toml", ".ruff.toml"])
def test_configuration_in_a_parent_directory(repo: Path, name: str) -> None:
    """Creating, changing and removing a parent directory's configuration file changes the key."""
    before = digest(repo, PythonGate)
    config = put(repo.parent, name, b"line-length = 100\n")
    created = digest(repo, PythonGate)
    assert created != before
    config.write_bytes(b"line-length = 80\n")
    assert digest(repo, PythonGate) not in {before, created}
    config.unlink()
    assert digest(repo, PythonGate) == before


def test_configuration_at_the_filesystem_root_side_counts_too(repo: Path) -> None:
    """The chain reaches every ancestor: a file two levels up counts like one next to root."""
    before = digest(repo, PythonGate)
    put(repo.parent.parent, "ruff.toml", b"[lint]\n")
    assert digest(repo, PythonGate) != before


def test_configuration_above_a_symlinked_root(repo: Path, tmp_path: Path) -> None:
    """Through a symlink, the directories above the link count as well as the real ones."""
    link = tmp_path / "linked" / "inner" / "repo"
    link.parent.mkdir(parents=True)
    link.symlink_to(repo)
    before = Fingerprint(link, state=None).digest(PythonGate())
    put(tmp_path / "linked", "ruff.toml", b"[lint]\n")
    after_link = Fingerprint(link, state=None).digest(PythonGate())
    assert after_link != before
    put(repo.parent, "ruff.toml", b"[lint]\n")
    assert Fingerprint(link, state=None).digest(PythonGate()) != after_link


def test_user_configuration(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user-level file in XDG_CONFIG_HOME (or ~/.config), or ~/name, changes the key."""
    home = Path(os.environ["HOME"])
    before = digest(repo, PythonGate)
    put(home, ".config/ruff/ruff.toml", b"line-length = 90\n")
    default = digest(repo, PythonGate)
    assert default != before
    put(home, ".pdbrc", b"alias x y\n")
    dotfile = digest(repo, PythonGate)
    assert dotfile != default
    xdg = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    assert digest(repo, PythonGate) != dotfile  # ruff/ruff.toml is absent there
    put(xdg, "ruff/ruff.toml", b"line-length = 90\n")
    assert digest(repo, PythonGate) == dotfile  # the same content, wherever it is


def test_user_configuration_through_a_symlink(repo: Path, tmp_path: Path) -> None:
    """A user file that links to a dotfiles repository counts by the content it points to."""
    target = put(tmp_path, "dotfiles/ruff.toml", b"line-length = 90\n")
    link = Path(os.environ["HOME"], ".config", "ruff", "ruff.toml")
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    before = digest(repo, PythonGate)
    target.write_bytes(b"line-length = 80\n")
    assert digest(repo, PythonGate) != before


def test_change_while_the_gate_ran_is_seen_by_the_fresh_digest(repo: Path) -> None:
    """A file edited between digest() and digest(fresh=True) (same size, same mtime) differs."""
    found = Fingerprint(repo, state=state_directory(repo))
    gate = AllGate()
    before = found.digest(gate)
    assert found.digest(gate, fresh=True) == before
    path = repo / "generated" / "schema.py"
    status = path.stat()
    path.write_bytes(b"VERSION = 9\n")
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert found.digest(gate) == before  # the run's own listing is kept
    assert found.digest(gate, fresh=True) != before


def test_file_created_while_the_gate_ran_is_seen(repo: Path) -> None:
    """A new file (ignored or not) appearing during the run changes the fresh digest."""
    found = Fingerprint(repo, state=None)
    before = found.digest(AllGate())
    put(repo, "generated/new.py")
    assert found.digest(AllGate(), fresh=True) != before


def test_gates_with_the_same_patterns_share_work(repo: Path) -> None:
    """Each file is read once per run, however many gates read it."""
    found = Fingerprint(repo, state=None)
    first = found.digest(AllGate())
    read = found.hashed
    assert found.digest(AllGate()) == first
    found.digest(TextGate())
    assert found.hashed == read


def test_warm_run_reads_no_unchanged_file(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the stat cache of the last run, only a changed file is read again."""
    monkeypatch.setattr(fingerprint, "RACY_NS", 0)  # the files here are all brand new
    cold = Fingerprint(repo, state=state_directory(repo))
    before = cold.digest(AllGate())
    cold.save()
    assert (repo / ".hephaestus" / "cache" / STAT_CACHE_NAME).is_file()
    warm = Fingerprint(repo, state=repo / ".hephaestus")
    assert warm.digest(AllGate()) == before
    assert warm.hashed == 0
    put(repo, "notes.txt", b"edited\n")
    again = Fingerprint(repo, state=repo / ".hephaestus")
    assert again.digest(AllGate()) != before
    assert again.hashed == 1


def _lying_stat_cache(root: Path, name: str, *, recorded: int) -> Path:
    """Persist a stat cache whose entry for ``name`` matches its stat but lies about content."""
    status = os.lstat(root / name)
    row = [
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
        status.st_ino,
        status.st_dev,
        recorded,
        "0" * 64,
    ]
    path = root / ".hephaestus" / "cache" / STAT_CACHE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"format": 1, "root": str(root.resolve()), "entries": {name: row}}
    path.write_text(json.dumps(document))
    path.chmod(0o600)
    return path


def test_racy_entries_are_hashed_again(repo: Path) -> None:
    """An entry recorded less than 2 s after its file's last change is never trusted."""
    status = os.lstat(repo / "notes.txt")
    changed = max(status.st_mtime_ns, status.st_ctime_ns)
    truth = StatCache(repo, path=None).describe("notes.txt")
    path = _lying_stat_cache(repo, "notes.txt", recorded=changed + fingerprint.RACY_NS)
    assert StatCache(repo, path=path).describe("notes.txt") == truth
    _lying_stat_cache(repo, "notes.txt", recorded=changed + fingerprint.RACY_NS + 1)
    assert StatCache(repo, path=path).describe("notes.txt") == "file:" + "0" * 64


def test_stat_cache_writable_by_others_is_ignored(repo: Path) -> None:
    """A stat cache another user could have written is not believed."""
    status = os.lstat(repo / "notes.txt")
    recorded = max(status.st_mtime_ns, status.st_ctime_ns) + 10 * fingerprint.RACY_NS
    path = _lying_stat_cache(repo, "notes.txt", recorded=recorded)
    path.chmod(0o620)
    assert StatCache(repo, path=path).describe("notes.txt") != "file:" + "0" * 64


def test_stat_cache_of_another_root_is_ignored(repo: Path, tmp_path: Path) -> None:
    """A stat cache copied from another checkout is not believed."""
    status = os.lstat(repo / "notes.txt")
    recorded = max(status.st_mtime_ns, status.st_ctime_ns) + 10 * fingerprint.RACY_NS
    path = _lying_stat_cache(repo, "notes.txt", recorded=recorded)
    moved = tmp_path / "elsewhere.json"
    path.rename(moved)
    other = StatCache(tmp_path, path=moved)
    assert other.describe("outer/repo/notes.txt") != "file:" + "0" * 64


@pytest.mark.parametrize("content", [b"{not json", b"[]", b'{"format": 1, "root": 3}', b"\xff"])
def test_corrupt_stat_cache_is_ignored_and_rebuilt(repo: Path, content: bytes) -> None:
    """An unreadable stat cache changes nothing but speed, and is replaced by a good one."""
    expected = Fingerprint(repo, state=None).digest(AllGate())
    put(repo, f".hephaestus/cache/{STAT_CACHE_NAME}", content)
    assert digest(repo) == expected
    saved = json.loads((repo / ".hephaestus" / "cache" / STAT_CACHE_NAME).read_text())
    assert "notes.txt" in saved["entries"]


def test_unwritable_stat_cache_is_just_not_saved(repo: Path) -> None:
    """A state directory that cannot hold the stat cache costs time, never an error."""
    put(repo, ".hephaestus/cache", b"a file in the way")
    found = Fingerprint(repo, state=repo / ".hephaestus")
    found.digest(AllGate())
    found.save()
    assert (repo / ".hephaestus" / "cache").is_file()


def test_saving_never_creates_the_state_directory(repo: Path) -> None:
    """Without .hephaestus (and its .gitignore) the stat cache is not saved at all."""
    found = Fingerprint(repo, state=repo / ".hephaestus")
    found.digest(AllGate())
    found.save()
    assert not (repo / ".hephaestus").exists()


def test_symlinks_count_by_their_target_text(repo: Path, tmp_path: Path) -> None:
    """A link is hashed as the path it holds, never followed out of the repository."""
    outside = put(tmp_path, "outside.py", b"one\n")
    link = repo / "generated" / "link.py"
    link.symlink_to(outside)
    before = digest(repo)
    outside.write_bytes(b"two\n")
    assert digest(repo) == before
    link.unlink()
    link.symlink_to(tmp_path / "other.py")
    assert digest(repo) != before


def test_executable_bit_counts(repo: Path) -> None:
    """Making a file executable changes the digest (hooks and tools may check it)."""
    before = digest(repo)
    (repo / "pkg" / "mod.py").chmod(0o755)
    assert digest(repo) != before


def test_concurrent_digests_agree_with_sequential_ones(repo: Path) -> None:
    """Workers asking at the same time get the digests one thread gets."""
    gates = [AllGate(), PythonGate(), TextGate()] * 4
    expected = [Fingerprint(repo, state=None).digest(g) for g in gates]
    shared = Fingerprint(repo, state=state_directory(repo))
    got: list[str | None] = [None] * len(gates)
    barrier = threading.Barrier(len(gates))

    def work(index: int) -> None:
        barrier.wait()
        got[index] = shared.digest(gates[index], fresh=index % 2 == 1)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(gates))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == expected


# --- properties -------------------------------------------------------------------------------

KINDS = ("tracked", "untracked", "ignored")
NAMES = st.text(alphabet="abcdef", min_size=1, max_size=4)
FILES = st.dictionaries(
    keys=st.tuples(st.sampled_from(KINDS), st.lists(NAMES, min_size=1, max_size=3).map(tuple)),
    values=st.binary(min_size=1, max_size=64),
    min_size=1,
    max_size=8,
)
EXCLUDED = (
    ".venv/lib/x.py",
    "env/lib/x.py",
    ".git/x",
    "pkg/__pycache__/x.pyc",
    ".mypy_cache/x.json",
    ".ruff_cache/x",
    ".pytest_cache/x",
    ".hypothesis/x",
    ".hephaestus/x",
    "node_modules/x.js",
    ".tox/x",
    ".nox/x",
    "x.pyc",
    ".coverage",
)


def _tree(top: Path, files: dict[tuple[str, tuple[str, ...]], bytes]) -> dict[str, bytes]:
    """Build a repository: tracked files committed, ignored ones under ign/; return name: data."""
    root = top / "repo"
    root.mkdir()
    git(root, "init", "-q")
    put(root, ".gitignore", b"ign/\n")
    put(root, "env/pyvenv.cfg", b"home = /usr/bin\n")
    written: dict[str, bytes] = {}
    for (kind, parts), data in files.items():
        name = "/".join(["ign", *parts] if kind == "ignored" else [kind[0], *parts])
        if any(n == name or n.startswith(f"{name}/") or name.startswith(f"{n}/") for n in written):
            continue  # a file where another needs a directory
        put(root, name, data)
        written[name] = data
    git(root, "add", "--", ".gitignore", *[n for n in written if n.startswith("t/")])
    git(root, "commit", "-q", "-m", "tree")
    return written


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=FILES, data=st.data())
def test_any_byte_changed_anywhere_changes_the_digest(
    files: dict[tuple[str, tuple[str, ...]], bytes], data: st.DataObject
) -> None:
    """Flipping one byte of any tracked, untracked or ignored file changes the next run's key."""
    with tempfile.TemporaryDirectory(prefix="hephaestus-fp-") as temporary:
        written = _tree(Path(temporary), files)
        root = Path(temporary) / "repo"
        before = digest(root)
        name = data.draw(st.sampled_from(sorted(written)))
        content = bytearray(written[name])
        offset = data.draw(st.integers(0, len(content) - 1))
        content[offset] ^= data.draw(st.integers(1, 255))
        path = root / name
        status = path.stat()
        path.write_bytes(bytes(content))
        os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))  # a coarse clock
        assert digest(root) != before


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=FILES, excluded=st.lists(st.sampled_from(EXCLUDED), min_size=1, unique=True))
def test_changes_under_excluded_paths_never_change_the_digest(
    files: dict[tuple[str, tuple[str, ...]], bytes], excluded: list[str]
) -> None:
    """Writing only environments, VCS data and tool state keeps every gate's key."""
    with tempfile.TemporaryDirectory(prefix="hephaestus-fp-") as temporary:
        _tree(Path(temporary), files)
        root = Path(temporary) / "repo"
        before = {gate: digest(root, gate) for gate in (AllGate, PythonGate, TextGate)}
        for name in excluded:
            put(root, name, b"written by a tool\n")
        assert {gate: digest(root, gate) for gate in before} == before


UNTRACKED = ("a.py", "b.py", "c.txt", "d.yaml", "sub/e.py")
RULE_SOURCES = (".gitignore", ".git/info/exclude", "global ignore file", "core.excludesFile")


def _ignore(root: Path, config: Path, source: str, names: frozenset[str]) -> None:
    """Make git ignore exactly ``names`` (anchored rules) through ``source``."""
    rules = "".join(f"/{name}\n" for name in sorted(names)).encode()
    if source == "global ignore file":  # git's default core.excludesFile
        put(config, "git/ignore", rules)
    elif source == "core.excludesFile":
        git(root, "config", "core.excludesFile", str(put(config, "excludes", rules)))
    else:
        put(root, source, rules)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    source=st.sampled_from(RULE_SOURCES),
    first=st.frozensets(st.sampled_from(UNTRACKED)),
    second=st.frozensets(st.sampled_from(UNTRACKED)),
)
def test_a_change_of_what_git_ignores_changes_the_digest(
    source: str, first: frozenset[str], second: frozenset[str]
) -> None:
    """Which files git ignores keys the cache, whichever rule source says so, contents unchanged.

    ruff and the file-level gates check only the files git does not ignore: un-ignoring a
    failing file through ``.git/info/exclude`` or the user's excludes file (both outside the
    universe) once served the pass recorded while it was ignored.
    """
    with (
        tempfile.TemporaryDirectory(prefix="hephaestus-fp-") as temporary,
        pytest.MonkeyPatch.context() as patch,
    ):
        config = Path(temporary, "config")
        patch.setenv("XDG_CONFIG_HOME", str(config))
        root = Path(temporary, "repo")
        root.mkdir()
        git(root, "init", "-q")
        put(root, "tracked.py", b"X = 1\n")
        git(root, "add", "tracked.py")
        git(root, "commit", "-q", "-m", "init")
        for name in UNTRACKED:
            put(root, name, b"import os\n")
        _ignore(root, config, source, first)
        before = {gate: digest(root, gate) for gate in (AllGate, PythonGate)}
        _ignore(root, config, source, second)
        after = {gate: digest(root, gate) for gate in (AllGate, PythonGate)}
        assert (after[AllGate] == before[AllGate]) is (first == second)
        python = {n for n in UNTRACKED if n.endswith(".py")}
        same_python = first & python == second & python
        assert (after[PythonGate] == before[PythonGate]) is same_python

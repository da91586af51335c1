from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from tests.gitrepo import git

from hephaestus.gates.cache import FORMAT, ResultCache, cache_key, machine_secret, secret_path
from hephaestus.gates.models import Finding, GateResult, GateStatus, Severity


def _result(name: str = "g") -> GateResult:
    return GateResult(name=name, status=GateStatus.passed, required=True, duration=1.0)


def test_key_is_canonical() -> None:
    """The key does not depend on the order of its parts, and any part changes it."""
    assert cache_key({"a": 1, "b": [1, 2]}) == cache_key({"b": [1, 2], "a": 1})
    assert cache_key({"a": 1}) != cache_key({"a": 2})


def test_round_trip(tmp_path: Path) -> None:
    """A stored pass comes back under its key only."""
    cache = ResultCache.for_repository(tmp_path, max_bytes=1 << 20)
    assert cache is not None
    cache.put(_result(), "k1")
    assert cache.get("g", "k1") == _result()
    assert cache.get("g", "k2") is None
    assert cache.get("other", "k1") is None


def test_entry_under_wrong_name_is_dropped(tmp_path: Path) -> None:
    """An entry whose content names another key is foreign: removed and a miss."""
    cache = ResultCache.for_repository(tmp_path, max_bytes=1 << 20)
    assert cache is not None
    cache.put(_result(), "k1")
    (cache.directory / "g-k1.json").rename(cache.directory / "g-k2.json")
    assert cache.get("g", "k2") is None
    assert not (cache.directory / "g-k2.json").exists()


def test_prune_keeps_the_cache_bounded_dropping_least_recent(tmp_path: Path) -> None:
    """Past its bound the cache drops the least recently used entries first."""
    cache = ResultCache.for_repository(tmp_path, max_bytes=1 << 20)
    assert cache is not None
    for number in range(5):
        cache.put(_result(), f"k{number}")
        os.utime(cache.directory / f"g-k{number}.json", ns=(number * 10**9, number * 10**9))
    cache.get("g", "k0")  # used just now: kept
    size = (cache.directory / "g-k1.json").stat().st_size
    cache.max_bytes = size * 2
    assert cache.prune() == 3
    assert sorted(p.name for p in cache.directory.iterdir()) == ["g-k0.json", "g-k4.json"]


def test_unwritable_state_leaves_no_cache_and_no_error(tmp_path: Path) -> None:
    """A .hephaestus that cannot be a directory means no cache, not a crash."""
    (tmp_path / ".hephaestus").write_text("a file in the way")
    assert ResultCache.for_repository(tmp_path, max_bytes=1 << 20) is None


def test_failed_store_is_only_a_miss_later(tmp_path: Path) -> None:
    """An entry that cannot be written is dropped quietly; the result itself is unaffected."""
    cache = ResultCache.for_repository(tmp_path, max_bytes=1 << 20)
    assert cache is not None
    cache.directory.rmdir()
    cache.directory.write_text("not a directory any more")
    cache.put(_result(), "k1")
    assert cache.get("g", "k1") is None


# --- trust: only this user's own, signed, untracked passes for this checkout --------------------


def _open(root: Path) -> ResultCache:
    cache = ResultCache.for_repository(root, max_bytes=1 << 20)
    assert cache is not None
    return cache


def _signed_entry(root: Path, result: GateResult, key: str) -> bytes:
    """An entry made by hand and signed with this machine's secret, as put() would."""
    payload = json.dumps(
        {
            "format": FORMAT,
            "root": str(root.resolve()),
            "gate": result.name,
            "key": key,
            "result": result.model_dump(mode="json", exclude={"finding_count"}),
        }
    )
    message = b"hephaestus gate cache entry\0" + payload.encode()
    mac = hmac.new(secret_path().read_bytes(), message, hashlib.sha256).hexdigest()
    return json.dumps({"format": FORMAT, "payload": payload, "mac": mac}).encode()


def test_secret_is_private_and_kept(tmp_path: Path) -> None:
    """The per-machine secret is 32 bytes, mode 0600, under XDG_CACHE_HOME, made once."""
    _open(tmp_path)
    path = secret_path()
    assert path.parent.parent == Path(os.environ["XDG_CACHE_HOME"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_bytes()) == 32
    assert machine_secret() == path.read_bytes()


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620])
def test_secret_others_can_reach_is_replaced(tmp_path: Path, mode: int) -> None:
    """A secret readable or writable by others is regenerated: old entries stop verifying."""
    cache = _open(tmp_path)
    cache.put(_result(), "k1")
    old = secret_path().read_bytes()
    secret_path().chmod(mode)
    assert _open(tmp_path).get("g", "k1") is None
    assert secret_path().read_bytes() != old
    assert stat.S_IMODE(secret_path().stat().st_mode) == 0o600


def test_symlinked_secret_is_replaced(tmp_path: Path) -> None:
    """A secret that is a symlink (to a file someone else chose) is never read."""
    planted = tmp_path / "planted"
    planted.write_bytes(b"k" * 32)
    planted.chmod(0o600)
    secret_path().parent.mkdir(parents=True)
    secret_path().symlink_to(planted)
    secret = machine_secret()
    assert secret is not None
    assert secret != b"k" * 32
    assert not secret_path().is_symlink()
    assert planted.read_bytes() == b"k" * 32


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
def test_secret_of_another_user_is_replaced(tmp_path: Path) -> None:
    """A secret owned by another user is not trusted."""
    _open(tmp_path)
    old = secret_path().read_bytes()
    os.chown(secret_path(), 4321, -1)
    assert machine_secret() not in {None, old}


def test_no_secret_means_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the secret cannot be created the cache is off (gates simply run)."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache directory should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert ResultCache.for_repository(tmp_path, max_bytes=1 << 20) is None


def test_forged_entry_is_ignored_and_removed(tmp_path: Path) -> None:
    """Valid JSON with a wrong HMAC is a miss, and removed."""
    cache = _open(tmp_path)
    cache.put(_result(), "k1")
    path = cache.directory / "g-k1.json"
    entry = json.loads(path.read_bytes())
    entry["mac"] = "0" * 64
    path.write_text(json.dumps(entry))
    path.chmod(0o600)
    assert cache.get("g", "k1") is None
    assert not path.exists()


def test_entry_signed_on_another_machine_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry signed with another secret (another machine or user) never verifies."""
    _open(tmp_path).put(_result(), "k1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "another-machine"))
    assert _open(tmp_path).get("g", "k1") is None


def test_entry_copied_from_another_checkout_is_ignored(tmp_path: Path) -> None:
    """An entry is bound to the checkout it was made in: a copy elsewhere is a miss."""
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    one, two = _open(first), _open(second)
    one.put(_result(), "k1")
    shutil.copy2(one.directory / "g-k1.json", two.directory / "g-k1.json")
    assert one.get("g", "k1") == _result()
    assert two.get("g", "k1") is None


def test_entry_tracked_by_git_is_ignored_and_left_alone(tmp_path: Path) -> None:
    """A committed entry is never served, never overwritten and never pruned."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    _open(root).put(_result(), "k1")
    git(root, "add", "-f", ".hephaestus/cache/gates/g-k1.json")
    git(root, "commit", "-q", "-m", "a cache entry, committed by mistake")
    cache = _open(root)
    path = cache.directory / "g-k1.json"
    committed = path.read_bytes()
    assert cache.get("g", "k1") is None
    cache.put(_result(), "k1")
    cache.max_bytes = 0
    assert cache.prune() == 0
    assert path.read_bytes() == committed


def test_git_that_cannot_answer_turns_the_cache_off(tmp_path: Path) -> None:
    """Inside a repository git cannot read, committed entries cannot be told apart: no cache."""
    (tmp_path / ".git").write_text("not a repository")
    assert ResultCache.for_repository(tmp_path, max_bytes=1 << 20) is None


def test_failures_are_never_stored(tmp_path: Path) -> None:
    """put() refuses a failure, and a "pass" carrying an error finding."""
    cache = _open(tmp_path)
    failed = GateResult(name="g", status=GateStatus.failed, required=True, duration=1.0)
    error = Finding(gate="g", rule="r", severity=Severity.error, message="bad", path=None)
    passed_with_error = _result().model_copy(update={"findings": (error,)})
    for result in (failed, passed_with_error):
        with pytest.raises(ValueError, match="only passes"):
            cache.put(result, "k1")
    assert not list(cache.directory.iterdir())


@pytest.mark.parametrize(
    "status", [GateStatus.failed, GateStatus.could_not_run, GateStatus.skipped]
)
def test_signed_failure_is_never_served(tmp_path: Path, status: GateStatus) -> None:
    """Even correctly signed, an entry holding anything but a pass is a miss."""
    cache = _open(tmp_path)
    failure = GateResult(name="g", status=status, required=True, duration=1.0)
    path = cache.directory / "g-k1.json"
    path.write_bytes(_signed_entry(tmp_path, failure, "k1"))
    path.chmod(0o600)
    assert cache.get("g", "k1") is None
    path.write_bytes(_signed_entry(tmp_path, _result(), "k1"))  # the same, as a pass
    assert cache.get("g", "k1") == _result()


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666])
def test_entry_writable_by_others_is_ignored(tmp_path: Path, mode: int) -> None:
    """An entry someone else could have written is not served (and not touched)."""
    cache = _open(tmp_path)
    cache.put(_result(), "k1")
    path = cache.directory / "g-k1.json"
    path.chmod(mode)
    assert cache.get("g", "k1") is None
    assert path.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
def test_entry_of_another_user_is_ignored(tmp_path: Path) -> None:
    """An entry owned by another user is not served."""
    cache = _open(tmp_path)
    cache.put(_result(), "k1")
    os.chown(cache.directory / "g-k1.json", 4321, -1)
    assert cache.get("g", "k1") is None


def test_symlinked_entry_is_ignored(tmp_path: Path) -> None:
    """An entry that is a symlink is never followed."""
    cache = _open(tmp_path)
    cache.put(_result(), "k1")
    (cache.directory / "g-k1.json").rename(tmp_path / "elsewhere.json")
    (cache.directory / "g-k1.json").symlink_to(tmp_path / "elsewhere.json")
    assert cache.get("g", "k1") is None


def test_entries_are_private_files(tmp_path: Path) -> None:
    """put() writes entries no other user can write."""
    cache = _open(tmp_path)
    cache.put(_result(), "k1")
    mode = stat.S_IMODE((cache.directory / "g-k1.json").stat().st_mode)
    assert not mode & 0o022

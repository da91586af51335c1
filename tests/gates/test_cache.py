from __future__ import annotations

import os
from typing import TYPE_CHECKING

from hephaestus.gates.cache import ResultCache, cache_key
from hephaestus.gates.models import GateResult, GateStatus

if TYPE_CHECKING:
    from pathlib import Path


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

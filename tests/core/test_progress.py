"""`hephaestus.core.progress`: the Progress protocol and its no-op default."""

from __future__ import annotations

from hephaestus.core.progress import NO_PROGRESS, NullProgress, Progress


class _NoNote:
    """Has start and advance but no note: not a Progress."""

    def start(self, total: int | None) -> None:
        """Ignore."""

    def advance(self, n: int = 1) -> None:
        """Ignore."""


def test_null_progress_satisfies_the_protocol() -> None:
    """NullProgress is a Progress at run time (the protocol is runtime_checkable)."""
    assert isinstance(NullProgress(), Progress)


def test_default_is_a_null_progress() -> None:
    """NO_PROGRESS, the library default, is a NullProgress and a Progress."""
    assert isinstance(NO_PROGRESS, NullProgress)
    assert isinstance(NO_PROGRESS, Progress)


def test_incomplete_object_is_not_a_progress() -> None:
    """An object missing one of the three methods does not pass the runtime check."""
    assert not isinstance(_NoNote(), Progress)
    assert not isinstance(object(), Progress)


def test_null_progress_ignores_every_call() -> None:
    """Every call is accepted, raises nothing and leaves no state behind."""
    progress = NullProgress()
    progress.start(10)
    progress.start(None)
    progress.advance()
    progress.advance(5)
    progress.note("scanning")
    progress.note("")
    assert vars(progress) == {}

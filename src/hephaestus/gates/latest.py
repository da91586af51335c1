"""The latest guard-rails report of a repository, kept for ``hephaestus plan`` and other readers.

Each run writes its report to ``<root>/.hephaestus/guard-rails/latest.json`` (atomically, the
same JSON as ``--format json``). Keeping it is best effort: a read-only checkout loses nothing
but the file, and the run's own result never depends on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hephaestus.core.events import Event
from hephaestus.core.fs import write_atomic
from hephaestus.core.logging import get_logger
from hephaestus.gates.cache import ensure_state_directory

if TYPE_CHECKING:
    from pathlib import Path

    from hephaestus.gates.models import GuardRailsReport

LATEST = ("guard-rails", "latest.json")
"""Where the latest report lives, below the state directory ``.hephaestus``."""

_log = get_logger(__name__)


def latest_report_path(root: Path) -> Path:
    """Return where the latest report of the repository at ``root`` is (or would be) kept."""
    return root.joinpath(".hephaestus", *LATEST)


def save_latest_report(root: Path, report: GuardRailsReport) -> Path | None:
    """Keep ``report`` as the latest of ``root``; return its path, or ``None`` if unwritable."""
    path = latest_report_path(root)
    try:
        ensure_state_directory(root)
        path.parent.mkdir(exist_ok=True)
        write_atomic(path, report.model_dump_json(indent=2))
    except OSError as exc:
        _log.warning(Event.CACHE_UNAVAILABLE, root=str(root), error=exc.strerror)
        return None
    return path

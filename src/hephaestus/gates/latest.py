"""The latest guard-rails report of a repository, kept for ``hephaestus plan`` and other readers.

Each whole-project run writes its report to ``<root>/.hephaestus/guard-rails/latest.json``
(atomically, the same JSON as ``--format json``); a changed-files run, which checked part of
the project, does not replace it. Keeping it is best effort: a read-only checkout loses nothing
but the file, and the run's own result never depends on it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from hephaestus.core.events import Event
from hephaestus.core.fs import write_atomic
from hephaestus.core.logging import get_logger
from hephaestus.core.state import state_directory
from hephaestus.gates.models import GateStatus

if TYPE_CHECKING:
    from pathlib import Path

    from hephaestus.gates.models import GuardRailsReport

LATEST = ("guard-rails", "latest.json")
"""Where the latest report lives, below the state directory ``.hephaestus``."""
DURATIONS = ("guard-rails", "durations.json")
"""How long each gate's tool last took to run (cached runs do not count), to start the longest
gates first."""

_log = get_logger(__name__)


def latest_report_path(root: Path) -> Path:
    """Return where the latest report of the repository at ``root`` is (or would be) kept."""
    return root.joinpath(".hephaestus", *LATEST)


def load_durations(root: Path) -> dict[str, float]:
    """Return the last measured duration of each gate ({} when none is known)."""
    try:
        data = json.loads(root.joinpath(".hephaestus", *DURATIONS).read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): float(v) for k, v in data.items() if isinstance(v, int | float) and v >= 0}


def save_latest_report(root: Path, report: GuardRailsReport) -> Path | None:
    """Keep ``report`` as the latest of ``root``, and the durations of the gates that ran.

    Returns the report's path, or ``None`` if it cannot be written.
    """
    path = latest_report_path(root)
    durations = load_durations(root)
    ran = {GateStatus.passed, GateStatus.failed, GateStatus.baselined}
    durations.update({r.name: round(r.duration, 3) for r in report.results if r.status in ran})
    try:
        state_directory(root)
        path.parent.mkdir(exist_ok=True)
        write_atomic(path, report.model_dump_json(indent=2))
        write_atomic(root.joinpath(".hephaestus", *DURATIONS), json.dumps(durations, indent=1))
    except OSError as exc:
        _log.warning(Event.CACHE_UNAVAILABLE, root=str(root), error=exc.strerror)
        return None
    return path

"""The audit manifest: the report of a real run, written atomically under ``.hephaestus/audit``."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hephaestus.cleanup.models import CleanupReport


def default_manifest_path(root: Path, run_id: str) -> Path:
    """``<root>/.hephaestus/audit/cleanup-<UTC timestamp>-<run id>.json``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return root / ".hephaestus" / "audit" / f"cleanup-{stamp}-{run_id}.json"


def write_manifest(report: CleanupReport, path: Path) -> None:
    """Write ``report`` as JSON to ``path`` atomically: a temporary file, then a rename.

    Readers see the old file or the whole new one, never a part. There is deliberately no
    ``fsync``: after a large run it waits for the journal to commit every removal (measured
    here: 8 s of a 14 s run), which is too high a price for a command run many times a day.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".manifest-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(report.model_dump_json(indent=2))
            handle.write("\n")
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

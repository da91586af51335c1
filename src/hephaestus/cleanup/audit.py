"""The audit manifest, written as a journal that a killed run leaves readable.

It is opened before the first removal, appended as removals happen (flushed in batches), and
replaced by the whole report at the end. While a run is under way the file is JSON Lines: a
header marked ``"status": "incomplete"``, then one line per outcome. A finished or interrupted
run (SIGINT, SIGTERM) replaces it atomically with the :class:`CleanupReport`, whose
``complete`` says whether the run finished.
After a SIGKILL the journal stays, naming everything removed up to its last flushed batch.
:func:`read_manifest` reads either form.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from hephaestus.cleanup.models import (
    CleanupOptions,
    CleanupReport,
    Removal,
    RemovalError,
    Skipped,
    totals_of,
)
from hephaestus.core.errors import UsageError
from hephaestus.core.fs import printable_path, write_atomic

if TYPE_CHECKING:
    from pathlib import Path

JOURNAL: Final = "hephaestus-cleanup-journal"
BATCH: Final = 256
"""Outcomes written at once: a SIGKILL loses at most this many lines (and those in flight)."""
INTERVAL: Final = 0.5
"""Seconds after which a partial batch is written anyway."""
_FLAGS: Final = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NONBLOCK


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
    write_atomic(path, report.model_dump_json(indent=2) + "\n")


class Journal:
    """An open audit manifest that outcomes are appended to, thread-safely, in batches."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path, self._fd = path, fd
        self._lines: list[bytes] = []
        self._lock = threading.Lock()
        self._flushed = time.monotonic()

    @classmethod
    def open(cls, path: Path, *, run_id: str, root: str, options: CleanupOptions) -> Journal:
        """Create the manifest at ``path`` and write its header, before anything is removed.

        Raises:
            UsageError: the manifest cannot be created there, or ``path`` is not a regular file
                (a directory, a device, a FIFO) (exit 2).

        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, _FLAGS, 0o644)
        except OSError as exc:
            raise UsageError(
                f"cannot write the audit manifest {printable_path(path)}: "
                f"{exc.strerror or exc}; nothing was removed",
                hint="choose another manifest path",
                code="manifest-unwritable",
            ) from exc
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise UsageError(
                f"the audit manifest {printable_path(path)} is not a regular file; "
                "nothing was removed",
                hint="choose another manifest path",
                code="manifest-unwritable",
            )
        os.set_blocking(fd, True)  # the stdlib's positional flag
        journal = cls(path, fd)
        header = {
            "journal": JOURNAL,
            "status": "incomplete",
            "run_id": run_id,
            "root": root,
            "options": json.loads(options.model_dump_json()),
        }
        journal._write([json.dumps(header).encode() + b"\n"])
        return journal

    def _write(self, lines: list[bytes]) -> None:
        os.write(self._fd, b"".join(lines))

    def record(self, outcome: Removal | Skipped | RemovalError) -> None:
        """Append one outcome; written when the batch is full or :data:`INTERVAL` has passed."""
        key = {Removal: "removed", Skipped: "skipped", RemovalError: "error"}[type(outcome)]
        line = b'{"%s": %s}\n' % (key.encode(), outcome.model_dump_json().encode())
        with self._lock:
            self._lines.append(line)
            now = time.monotonic()
            if len(self._lines) >= BATCH or now - self._flushed >= INTERVAL:
                self._write(self._lines)
                self._lines, self._flushed = [], now

    def finish(self, report: CleanupReport) -> None:
        """Write what is pending, then replace the journal by ``report`` (complete or not).

        Safe to call again (an interruption inside the first call): the report is rewritten.
        """
        with self._lock:
            if self._fd >= 0:
                if self._lines:
                    self._write(self._lines)
                    self._lines = []
                fd, self._fd = self._fd, -1
                os.close(fd)
        write_atomic(self.path, report.model_dump_json(indent=2) + "\n")


def read_manifest(path: Path) -> CleanupReport:
    """Read an audit manifest: a finished report, or the journal a killed run left behind.

    A journal is returned as a report with ``complete=False`` listing what it recorded.
    """
    text = path.read_text(encoding="utf-8")
    first, _, rest = text.partition("\n")
    if not first.startswith('{"journal": "%s"' % JOURNAL):  # noqa: UP031  # a brace-heavy literal
        return CleanupReport.model_validate_json(text)
    header = json.loads(first)
    removed: list[Removal] = []
    skipped: list[Skipped] = []
    errors: list[RemovalError] = []
    for line in rest.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            break  # a line cut short by the kill
        if "removed" in record:
            removed.append(Removal.model_validate(record["removed"]))
        elif "skipped" in record:
            skipped.append(Skipped.model_validate(record["skipped"]))
        elif "error" in record:
            errors.append(RemovalError.model_validate(record["error"]))
    return CleanupReport(
        run_id=header["run_id"],
        root=header["root"],
        bases=[header["root"]],
        options=CleanupOptions.model_validate(header["options"]),
        removed=removed,
        skipped=skipped,
        errors=errors,
        totals=totals_of(removed),
        plan_seconds=0.0,
        delete_seconds=0.0,
        manifest=str(path),
        complete=False,
    )

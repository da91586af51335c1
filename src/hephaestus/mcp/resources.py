"""What the MCP server offers to read: the state hephaestus keeps under ``<root>/.hephaestus/``.

- ``hephaestus://guard-rails/latest``: the latest guard-rails report (``guard-rails/latest.json``);
- ``hephaestus://analytics/latest``: the newest analysis snapshot of the analytics store;
- ``hephaestus://audit``: the cleanup audit manifests, newest first, and
  ``hephaestus://audit/{name}`` one of them (a killed run's journal read as a report);
- ``hephaestus://schema/{tool}``: a tool's full description (``hephaestus schema``'s), whose
  output schema the tool list shortens.

Each is one JSON document. When there is nothing yet, the document says so, ``{"status":
"missing", "message": …, "hint": …}``, rather than inventing data; a file hephaestus cannot read
is ``"unreadable"``. Reading never creates anything.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from hephaestus.core.errors import HephaestusError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from hephaestus.registry import Operation

SCHEME: Final = "hephaestus://"
JSON: Final = "application/json"
MANIFEST_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.json")
"""An audit manifest's file name: no separator, no leading dot."""
STORE_WAIT: Final = 1.0
"""Seconds a read waits for a writer holding the analytics store."""


@dataclass(frozen=True, slots=True)
class Document:
    """A resource (or a resource template, when ``uri`` holds ``{…}``)."""

    uri: str
    name: str
    description: str


RESOURCES: Final = (
    Document(
        f"{SCHEME}guard-rails/latest",
        "guard-rails-latest",
        "The latest guard-rails report of the root (every gate's result and findings).",
    ),
    Document(
        f"{SCHEME}analytics/latest",
        "analytics-latest",
        "The newest analysis snapshot of the analytics store: its metadata and per-file metrics.",
    ),
    Document(
        f"{SCHEME}audit",
        "audit-manifests",
        "The cleanup audit manifests of the root, newest first, each with its URI.",
    ),
)
TEMPLATES: Final = (
    Document(
        f"{SCHEME}audit/{{name}}",
        "audit-manifest",
        "One cleanup audit manifest: what a cleanup removed, skipped and failed to remove.",
    ),
    Document(
        f"{SCHEME}schema/{{tool}}",
        "tool-schema",
        "A tool's full description: summary, hints, input and full output JSON Schema.",
    ),
)


class UnknownResourceError(LookupError):
    """No resource has this URI."""


def missing(message: str, hint: str) -> dict[str, Any]:
    """Return the document that says there is nothing to read (yet)."""
    return {"status": "missing", "message": message, "hint": hint}


def read(uri: str, *, root: Path, operations: Iterable[Operation]) -> dict[str, Any]:
    """Return the JSON document at ``uri`` for the server's ``root``.

    Raises:
        UnknownResourceError: no resource or template matches ``uri``.

    """
    path = uri.removeprefix(SCHEME) if uri.startswith(SCHEME) else None
    if path == "guard-rails/latest":
        return latest_report(root)
    if path == "analytics/latest":
        return latest_snapshot(root)
    if path == "audit":
        return audit_index(root)
    if path is not None and path.startswith("audit/"):
        return audit_manifest(root, path.removeprefix("audit/"))
    if path is not None and path.startswith("schema/"):
        return tool_schema(path.removeprefix("schema/"), operations)
    raise UnknownResourceError(uri)


def latest_report(root: Path) -> dict[str, Any]:
    """Return the latest guard-rails report of ``root``, or why there is none."""
    from hephaestus.gates.latest import latest_report_path  # noqa: PLC0415  # on demand

    path = latest_report_path(root)
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError:
        return missing(
            f"no guard-rails report in {root} yet",
            "call the guard_rails tool (or run hephaestus guard-rails) first",
        )
    except (OSError, ValueError) as exc:
        return {"status": "unreadable", "message": f"{path}: {exc}", "hint": "run it again"}
    return document if isinstance(document, dict) else {"report": document}


def latest_snapshot(root: Path) -> dict[str, Any]:
    """Return the newest analysis snapshot of ``root``'s analytics store, or why none."""
    from hephaestus.analytics.store import database_path, open_store  # noqa: PLC0415

    hint = "call an analysis tool such as tools_refactor_hotspots (it stores a snapshot)"
    if not database_path(root).is_file():
        return missing(f"no analytics store in {root} yet", hint)
    try:
        with open_store(root, wait=STORE_WAIT) as store:
            snapshots = store.snapshots()
            if not snapshots:
                return missing(f"the analytics store of {root} holds no snapshot yet", hint)
            newest = snapshots[0]
            files = store.snapshot_files(newest.id)
    except HephaestusError as error:
        return {"status": "unreadable", "message": error.message, "hint": error.hint}
    return {"snapshot": newest.model_dump(mode="json"), "files": files}


def _audit_directory(root: Path) -> Path:
    return root / ".hephaestus" / "audit"


def audit_index(root: Path) -> dict[str, Any]:
    """Return the audit manifests of ``root``, newest first, or why there are none."""
    directory = _audit_directory(root)
    try:
        entries = [
            (entry.stat().st_mtime, entry)
            for entry in directory.iterdir()
            if MANIFEST_NAME.fullmatch(entry.name) and entry.is_file()
        ]
    except OSError:
        entries = []
    if not entries:
        return missing(
            f"no cleanup audit manifest in {directory}",
            "every cleanup writes one: call cleanup_plan, then cleanup with its plan_id",
        )
    entries.sort(key=lambda item: (item[0], item[1].name), reverse=True)
    return {
        "manifests": [
            {
                "name": entry.name,
                "uri": f"{SCHEME}audit/{entry.name}",
                "modified": datetime.fromtimestamp(mtime, UTC).isoformat(),
            }
            for mtime, entry in entries
        ]
    }


def audit_manifest(root: Path, name: str) -> dict[str, Any]:
    """Return the audit manifest ``name`` of ``root`` as a cleanup report.

    Raises:
        UnknownResourceError: ``name`` is not a manifest's file name, or no such manifest exists.

    """
    from hephaestus.cleanup.audit import read_manifest  # noqa: PLC0415  # on demand

    path = _audit_directory(root) / name
    if not MANIFEST_NAME.fullmatch(name) or path.is_symlink() or not path.is_file():
        raise UnknownResourceError(f"{SCHEME}audit/{name}")
    try:
        report = read_manifest(path)
    except (OSError, ValueError, KeyError) as exc:
        return {"status": "unreadable", "message": f"{path}: {exc}", "hint": "read the file"}
    document: dict[str, Any] = report.model_dump(mode="json")
    return document


def tool_schema(name: str, operations: Iterable[Operation]) -> dict[str, Any]:
    """Return the full description of the offered tool ``name``.

    Raises:
        UnknownResourceError: the server offers no tool of that name.

    """
    from hephaestus.describe import describe_operation  # noqa: PLC0415  # imports the models

    for operation in operations:
        if operation.name == name:
            document: dict[str, Any] = describe_operation(operation).model_dump(mode="json")
            return document
    raise UnknownResourceError(f"{SCHEME}schema/{name}")

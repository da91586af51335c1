"""Coverage from the files coverage tools write: ``.coverage``, Cobertura XML, ``coverage.json``.

``.coverage`` is read with coverage.py's own API (the data file holds executed lines only;
statements come from coverage's analysis of the source, honouring the project's coverage
configuration). Paths are made relative to the repository root; files outside it are left out.
Coverage here is line coverage: covered statements over statements.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET  # a local file the user's own tools wrote
from pathlib import Path
from typing import Any, Final

from pydantic import ValidationError

from hephaestus.analytics.models import CoverageData, CoverageFormat, FileCoverage
from hephaestus.core.errors import UsageError, field_ref

CANDIDATES: Final = (".coverage", "coverage.xml", "coverage.json")
MISSING_HINT: Final = f"run pytest --cov first, or pass {field_ref('coverage')} FILE"


def _relative(root: Path, name: str, base: Path) -> str | None:
    path = Path(name)
    if not path.is_absolute():
        path = base / path
    try:
        return Path(os.path.normpath(path)).relative_to(root).as_posix()
    except ValueError:
        return None


def _file(path: str, statements: int, missing: list[int]) -> FileCoverage:
    covered = 1.0 if statements == 0 else (statements - len(missing)) / statements
    return FileCoverage(
        path=path, statements=statements, covered=covered, uncovered_lines=tuple(sorted(missing))
    )


def _read_data(root: Path, source: Path) -> list[FileCoverage]:
    import coverage  # noqa: PLC0415  # only when a data file is read

    config: str | bool = False
    for name in (".coveragerc", "setup.cfg", "tox.ini", "pyproject.toml"):
        if (root / name).is_file():
            config = str(root / name)
            break
    cov = coverage.Coverage(data_file=str(source), config_file=config)
    cov.load()
    data = cov.get_data()
    files = []
    for measured in sorted(data.measured_files()):
        relative = _relative(root, measured, root)
        if relative is None or not Path(measured).is_file():
            continue
        _, statements, _, missing, _ = cov.analysis2(measured)
        files.append(_file(relative, len(statements), list(missing)))
    return files


def _read_cobertura(root: Path, source: Path) -> list[FileCoverage]:
    tree = ET.parse(source)  # noqa: S314  # expat refuses external entities; local file
    bases = [Path(s.text.strip()) for s in tree.iter("source") if s.text and s.text.strip()]
    lines: dict[str, dict[int, bool]] = {}
    for cls in tree.iter("class"):
        name = cls.get("filename")
        if not name:
            continue
        candidates = [b / name for b in bases] or [root / name]
        chosen = next((c for c in candidates if c.is_file()), candidates[0])
        relative = _relative(root, str(chosen), root)
        if relative is None:
            continue
        hits = lines.setdefault(relative, {})
        for line in cls.iter("line"):
            number = int(line.get("number", "0"))
            hits[number] = hits.get(number, False) or int(line.get("hits", "0")) > 0
    return [
        _file(path, len(hits), [n for n, hit in hits.items() if not hit])
        for path, hits in sorted(lines.items())
    ]


def _read_json(root: Path, source: Path) -> list[FileCoverage]:
    document: Any = json.loads(source.read_text(encoding="utf-8"))
    files = []
    for name, entry in sorted(document["files"].items()):
        relative = _relative(root, name, root)
        if relative is None:
            continue
        missing = [int(n) for n in entry["missing_lines"]]
        statements = int(entry["summary"]["num_statements"])
        files.append(_file(relative, statements, missing))
    return files


def _format_of(source: Path) -> CoverageFormat:
    if source.suffix == ".xml":
        return CoverageFormat.cobertura
    if source.suffix == ".json":
        return CoverageFormat.json
    return CoverageFormat.data


def find_coverage(root: Path) -> Path | None:
    """Return the newest of ``.coverage``, ``coverage.xml`` and ``coverage.json`` in ``root``."""
    present = [root / name for name in CANDIDATES if (root / name).is_file()]
    return max(present, key=lambda p: p.stat().st_mtime_ns, default=None)


def _first_problem(exc: Exception) -> str:
    """One line about ``exc``: a validation error's first problem, else its first line."""
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    lines = str(exc).splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def read_coverage(root: Path, source: Path) -> CoverageData:
    """Read one coverage file of the repository at ``root``.

    The format follows the name: ``*.xml`` is Cobertura, ``*.json`` coverage.py's JSON report,
    anything else a coverage.py data file.

    Raises:
        UsageError: the file does not exist or is not a coverage file of its kind (exit 2).

    """
    kind = _format_of(source)
    if not source.is_file():
        raise UsageError(f"{field_ref('coverage')} {source}: no such file", hint=MISSING_HINT)
    readers = {
        CoverageFormat.data: _read_data,
        CoverageFormat.cobertura: _read_cobertura,
        CoverageFormat.json: _read_json,
    }
    try:
        files = readers[kind](root.resolve(), source)
    except Exception as exc:  # noqa: BLE001  # any parser's failure means "not such a file"
        raise UsageError(
            f"{source}: not a readable {kind.value} file ({_first_problem(exc)})",
            hint=MISSING_HINT,
            code="bad-coverage-file",
        ) from None
    return CoverageData(source=str(source), format=kind, files=tuple(files))

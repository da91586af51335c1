"""Cyclomatic complexity from Python's ``ast``: per function, and per file the sum, max and LOC.

A function's complexity is 1 plus one per decision point in its own body (nested functions and
classes are measured on their own): ``if``/``elif``, conditional expression, ``for``, ``while``,
``except`` clause, ``case`` of a ``match``, each ``for`` and ``if`` of a comprehension, and each
extra operand of ``and``/``or``. Lines of code are lines neither blank nor comment-only.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from typing import IO, TYPE_CHECKING, Any, Final

from hephaestus.analytics import measure

if TYPE_CHECKING:
    from pathlib import Path

IN_PROCESS: Final = 64
"""Up to this many files are measured in this process; more go to a worker process."""
WORKER_TIMEOUT: Final = 3600.0
count_loc = measure.count_loc


@dataclass(frozen=True, slots=True)
class FunctionComplexity:
    """One function or method and its cyclomatic complexity (qualified name, e.g. 'A.run')."""

    name: str
    line: int
    complexity: int


@dataclass(frozen=True, slots=True)
class FileComplexity:
    """Complexity of one file of the current tree: sum and maximum over its functions, LOC.

    An internal measurement (reports carry the figures they need), so a plain frozen record:
    a warm run rebuilds thousands of these from the cache.
    """

    path: str
    total: int
    maximum: int
    loc: int
    functions: tuple[FunctionComplexity, ...] = ()

    def at(self, path: str) -> FileComplexity:
        """Return the same measurement for another path with the same content."""
        return replace(self, path=path)


def measure_source(path: str, source: str) -> FileComplexity:
    """Measure one module's source.

    Raises:
        SyntaxError: the source is not valid Python (also ValueError for NUL bytes).

    """
    return from_cache(path, measure.measure(path, source))


@dataclass(slots=True)
class Measuring:
    """Files being measured: in a worker process when there are many, else on ``result()``.

    The worker (``measure.py`` run as a script, no package imported) parses while this process
    reads the history; git, the worker and this process share the cores.
    """

    root: Path
    paths: list[str]
    worker: subprocess.Popen[bytes] | None = None
    output: IO[bytes] | None = None

    @classmethod
    def start(cls, root: Path, paths: list[str]) -> Measuring:
        """Start measuring ``paths`` (relative to ``root``, read from the work tree)."""
        job = cls(root, paths)
        if len(paths) <= IN_PROCESS or not sys.executable:
            return job
        with tempfile.TemporaryFile() as names:
            names.write(b"\0".join(os.fsencode(p) for p in paths))
            names.seek(0)
            output = tempfile.TemporaryFile()  # noqa: SIM115  # closed in result()
            try:
                job.worker = subprocess.Popen(  # noqa: S603  # our own script, argv list
                    [sys.executable, "-I", "-S", measure.__file__],
                    cwd=root,
                    stdin=names,
                    stdout=output,
                    stderr=subprocess.DEVNULL,
                )
            except OSError:  # no interpreter to start: result() measures here instead
                output.close()
                return job
        job.output = output
        return job

    def result(self) -> list[tuple[list[Any], str] | None]:
        """Per path, its measurement in cached form and as JSON, or ``None`` when unreadable."""
        if self.worker is not None and self.output is not None:
            with self.output:
                try:
                    code = self.worker.wait(timeout=WORKER_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.worker.kill()
                    self.worker.wait()
                    code = -1
                self.output.seek(0)
                lines = self.output.read().splitlines()
            if code == 0 and len(lines) == len(self.paths):
                return [_with_text(json.loads(line), line.decode()) for line in lines]
        # No worker, or it failed (killed, no interpreter): measure here, the same way.
        found = measure.measure_paths(self.paths, root=self.root)
        return [_with_text(data, json.dumps(data)) for data in found]


def _with_text(data: list[Any] | None, text: str) -> tuple[list[Any], str] | None:
    return None if data is None else (data, text)


def blob_id(data: bytes, *, length: int = 40) -> str:
    """Git's object id of a blob holding ``data`` (SHA-1, or SHA-256 for 64-digit ids)."""
    digest = hashlib.sha256 if length == 64 else hashlib.sha1  # noqa: PLR2004  # hex digits
    return digest(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def cached_form(measured: FileComplexity) -> list[Any]:
    """Return the compact form a measurement is cached in (no path: a blob may have many)."""
    functions = [[f.name, f.line, f.complexity] for f in measured.functions]
    return [measured.total, measured.maximum, measured.loc, functions]


def from_cache(path: str, data: list[Any]) -> FileComplexity:
    """Rebuild a measurement of ``path`` from its cached form."""
    total, maximum, loc, functions = data
    return FileComplexity(
        path,
        total,
        maximum,
        loc,
        tuple(FunctionComplexity(n, line, c) for n, line, c in functions),
    )

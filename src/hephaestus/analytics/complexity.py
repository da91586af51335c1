"""Cyclomatic complexity from Python's ``ast``: per function, and per file the sum, max and LOC.

A function's complexity is 1 plus one per decision point in its own body (nested functions and
classes are measured on their own): ``if``/``elif``, conditional expression, ``for``, ``while``,
``except`` clause, ``case`` of a ``match``, each ``for`` and ``if`` of a comprehension, and each
extra operand of ``and``/``or``. Lines of code are lines neither blank nor comment-only.
"""

from __future__ import annotations

import ast
import hashlib
from typing import TYPE_CHECKING, Any

from hephaestus.analytics.models import FileComplexity, FunctionComplexity

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from hephaestus.analytics.store import Store

_BRANCHES = (ast.If, ast.IfExp, ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler, ast.match_case)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _decisions(node: ast.AST) -> int:
    """Decision points in ``node``'s body, not descending into nested functions or classes."""
    count = 0
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        if isinstance(child, _SCOPES):
            continue
        if isinstance(child, _BRANCHES):
            count += 1
        elif isinstance(child, ast.BoolOp):
            count += len(child.values) - 1
        elif isinstance(child, ast.comprehension):
            count += 1 + len(child.ifs)
        stack.extend(ast.iter_child_nodes(child))
    return count


def _functions(tree: ast.AST) -> list[FunctionComplexity]:
    found: list[FunctionComplexity] = []
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, prefix = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = prefix + child.name
                found.append(
                    FunctionComplexity(
                        name=name, line=child.lineno, complexity=1 + _decisions(child)
                    )
                )
                stack.append((child, name + "."))
            elif isinstance(child, ast.ClassDef):
                stack.append((child, prefix + child.name + "."))
            elif not isinstance(child, ast.expr):
                stack.append((child, prefix))
    return sorted(found, key=lambda f: (f.line, f.name))


def count_loc(source: str) -> int:
    """Lines that are neither blank nor comment-only."""
    return sum(1 for line in source.splitlines() if (s := line.strip()) and not s.startswith("#"))


def measure_source(path: str, source: str) -> FileComplexity:
    """Measure one module's source.

    Raises:
        SyntaxError: the source is not valid Python (also ValueError for NUL bytes).

    """
    functions = _functions(ast.parse(source, filename=path))
    return FileComplexity(
        path=path,
        total=sum(f.complexity for f in functions),
        maximum=max((f.complexity for f in functions), default=0),
        loc=count_loc(source),
        functions=tuple(functions),
    )


def measure_tree(
    root: Path, paths: Iterable[str], *, store: Store | None
) -> tuple[dict[str, FileComplexity], list[str]]:
    """Measure every file of ``paths`` (relative to ``root``) that exists and parses.

    Results are cached in ``store`` by content digest, so an unchanged file is parsed once.
    Returns the measurements and the paths that could not be read or parsed.
    """
    sources: dict[str, tuple[str, bytes]] = {}
    unreadable: list[str] = []
    for path in paths:
        try:
            data = (root / path).read_bytes()
        except OSError:
            unreadable.append(path)
            continue
        sources[path] = (hashlib.blake2b(data, digest_size=16).hexdigest(), data)
    cached = store.cached_complexity(d for d, _ in sources.values()) if store else {}
    fresh: dict[str, Any] = {}
    measured: dict[str, FileComplexity] = {}
    for path, (digest, data) in sources.items():
        known = cached.get(digest) or fresh.get(digest)
        if known is not None:
            measured[path] = FileComplexity.model_validate({**known, "path": path})
            continue
        try:
            result = measure_source(path, data.decode("utf-8"))
        except (SyntaxError, ValueError, UnicodeDecodeError):
            unreadable.append(path)
            continue
        measured[path] = result
        fresh[digest] = result.model_dump(exclude={"path"})
    if store is not None:
        store.cache_complexity(fresh)
    return measured, sorted(unreadable)

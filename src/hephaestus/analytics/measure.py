"""Cyclomatic complexity of one module, with the standard library only.

Imported by :mod:`hephaestus.analytics.complexity`, and run as a script (``python -I -S
measure.py``, no package imported) to measure many files in a process of its own while the
history is read: paths separated by NUL on stdin, one JSON line per path on stdout, each
``[total, maximum, loc, [[name, line, complexity], ...]]`` or ``null`` when the file cannot be
read or parsed. See :mod:`hephaestus.analytics.complexity` for the definition.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any

_BRANCH_SET = frozenset(
    {ast.If, ast.IfExp, ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler, ast.match_case}
)
_SCOPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})
# Nodes with nothing to count below them; str and None stand in lists of some fields.
_LEAF_SET = frozenset(
    {ast.Name, ast.Constant, ast.Import, ast.ImportFrom, ast.Pass, str, type(None)}
)
# Fields that never hold a node that matters: contexts, operators, names (str lists).
_SKIPPED = frozenset({"ctx", "type_comment", "op", "ops", "names", "kwd_attrs"})
_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def _fields(kind: type[ast.AST]) -> tuple[str, ...]:
    found = _FIELDS.get(kind)
    if found is None:
        found = _FIELDS[kind] = tuple(n for n in kind._fields if n not in _SKIPPED)
    return found


def _walk(scope: ast.AST, *, counting: bool, nested: list[ast.AST]) -> int:  # noqa: C901  # the hot loop
    """Count the decision points under ``scope``; collect the scopes nested in it."""
    count = 0
    stack: list[Any] = [  # nodes, and the str or None some list fields hold
        child
        for name in _fields(type(scope))
        for value in (getattr(scope, name, None),)
        for child in (value if type(value) is list else (value,))
    ]
    branches, scopes, leaves, node_type = _BRANCH_SET, _SCOPES, _LEAF_SET, ast.AST
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind in leaves:
            continue
        if kind in scopes:
            nested.append(node)
            continue
        if counting:
            if kind in branches:
                count += 1
            elif kind is ast.BoolOp:
                count += len(node.values) - 1
            elif kind is ast.comprehension:
                count += 1 + len(node.ifs)
        for name in _FIELDS.get(kind) or _fields(kind):
            value = getattr(node, name, None)
            if type(value) is list:
                stack.extend(value)
            elif isinstance(value, node_type):
                stack.append(value)
    return count


def functions(tree: ast.AST) -> list[tuple[str, int, int]]:
    """Every function as (qualified name, line, complexity), ordered by line then name.

    One pass per scope over a plain node stack (``ast.iter_child_nodes`` and per-node tuples
    cost several times more): a function's decorators, defaults and body count for it; a
    nested function or class is measured on its own, with its qualified name.
    """
    found: list[tuple[str, int, int]] = []
    scopes: list[tuple[ast.AST, str]] = [(tree, "")]
    while scopes:
        scope, prefix = scopes.pop()
        nested: list[ast.AST] = []
        kind = type(scope)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            name = prefix + scope.name  # type: ignore[attr-defined]
            count = _walk(scope, counting=True, nested=nested)
            found.append((name, scope.lineno, 1 + count))  # type: ignore[attr-defined]
            prefix = name + "."
        else:
            if kind is ast.ClassDef:
                prefix += scope.name + "."  # type: ignore[attr-defined]
            _walk(scope, counting=False, nested=nested)
        scopes.extend((child, prefix) for child in nested)
    return sorted(found, key=lambda f: (f[1], f[0]))


UNMEASURABLE = (OSError, SyntaxError, ValueError, RecursionError, MemoryError)
"""What reading and parsing one file may raise: the file is unmeasurable, not the run.

Python's parser answers an expression nested thousands deep with ``MemoryError`` ("too many
nested" on its own stack) or ``RecursionError`` while building the tree; ``UnicodeDecodeError``
is a ``ValueError``.
"""


def count_loc(source: str) -> int:
    """Lines that are neither blank nor comment-only."""
    return sum(1 for line in source.splitlines() if (s := line.strip()) and not s.startswith("#"))


def measure(path: str, source: str) -> list[Any]:
    """Return ``[total, maximum, loc, [[name, line, complexity], ...]]`` of one module.

    Raises:
        SyntaxError: the source is not valid Python (also ValueError for NUL bytes).
        RecursionError: the source nests too deeply to build its tree (also MemoryError).

    """
    found = functions(ast.parse(source, filename=path))
    counts = [c for _, _, c in found]
    return [sum(counts), max(counts, default=0), count_loc(source), [list(f) for f in found]]


def measure_paths(paths: list[str], *, root: Path) -> list[list[Any] | None]:
    """Measure each file (relative to ``root``); ``None`` where it cannot be read or parsed."""
    results: list[list[Any] | None] = []
    for path in paths:
        try:
            results.append(measure(path, (root / path).read_bytes().decode("utf-8")))
        except UNMEASURABLE:
            results.append(None)
    return results


def main() -> None:
    """Measure the NUL-separated paths of stdin; write one JSON line per path (worker side).

    Its stdout is the worker's own, read back by :class:`.complexity.Measuring`; a failure
    exits non-zero (an uncaught exception) and the caller measures in its own process instead.
    """
    paths = [p for p in sys.stdin.buffer.read().decode("utf-8", "surrogateescape").split("\0") if p]
    out = sys.stdout
    for result in measure_paths(paths, root=Path()):
        out.write(json.dumps(result, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()

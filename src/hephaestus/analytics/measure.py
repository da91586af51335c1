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

_BRANCHES = (ast.If, ast.IfExp, ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler, ast.match_case)
_BRANCH_SET = frozenset(_BRANCHES)
_LEAF_SET = frozenset({ast.Name, ast.Constant})


def _child_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    # Fields that can hold nodes; expression contexts (Load, Store) never matter here.
    return tuple(name for name in kind._fields if name not in {"ctx", "type_comment"})


_FIELDS: dict[type[ast.AST], tuple[str, ...]] = {}


def functions(tree: ast.AST) -> list[tuple[str, int, int]]:  # noqa: C901  # one walk: the hot loop
    """Every function with its complexity, in one walk over the tree.

    A hand-rolled walk (``ast.iter_child_nodes`` costs several times more on large trees):
    each node carries the function it belongs to, so nested scopes are measured on their own.
    """
    names: list[str] = []
    lines: list[int] = []
    counts: list[int] = []
    fields = _FIELDS
    # (node, index of the enclosing function or -1, qualified-name prefix)
    stack: list[tuple[ast.AST, int, str]] = [(tree, -1, "")]
    while stack:
        node, owner, prefix = stack.pop()
        kind = type(node)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            name = prefix + node.name  # type: ignore[attr-defined]
            names.append(name)
            lines.append(node.lineno)  # type: ignore[attr-defined]
            counts.append(1)
            owner, prefix = len(names) - 1, name + "."
        elif kind is ast.ClassDef:
            owner, prefix = -1, prefix + node.name + "."  # type: ignore[attr-defined]
        elif owner >= 0:
            if kind in _BRANCH_SET:
                counts[owner] += 1
            elif kind is ast.BoolOp:
                counts[owner] += len(node.values) - 1  # type: ignore[attr-defined]
            elif kind is ast.comprehension:
                counts[owner] += 1 + len(node.ifs)  # type: ignore[attr-defined]
        if kind in _LEAF_SET:
            continue
        child_names = fields.get(kind)
        if child_names is None:
            child_names = fields[kind] = _child_fields(kind)
        for field_name in child_names:
            value = getattr(node, field_name, None)
            if type(value) is list:
                stack.extend((v, owner, prefix) for v in value if isinstance(v, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append((value, owner, prefix))
    return sorted(zip(names, lines, counts, strict=True), key=lambda f: (f[1], f[0]))


def count_loc(source: str) -> int:
    """Lines that are neither blank nor comment-only."""
    return sum(1 for line in source.splitlines() if (s := line.strip()) and not s.startswith("#"))


def measure(path: str, source: str) -> list[Any]:
    """Return ``[total, maximum, loc, [[name, line, complexity], ...]]`` of one module.

    Raises:
        SyntaxError: the source is not valid Python (also ValueError for NUL bytes).

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
        except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
            results.append(None)
    return results


def main() -> int:
    """Measure the NUL-separated paths of stdin; write one JSON line per path."""
    paths = [p for p in sys.stdin.buffer.read().decode("utf-8", "surrogateescape").split("\0") if p]
    out = sys.stdout
    for result in measure_paths(paths, root=Path()):
        out.write(json.dumps(result, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

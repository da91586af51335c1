"""Make any text safe to show on one line of a terminal or a CI log.

Messages come from tools, files and commit metadata: a finding's message can hold a newline
followed by ``::add-mask::``, which the GitHub Actions runner would execute as a workflow command
if it began a line of the log, or an ANSI sequence that rewrites the terminal. :func:`printable`
is the one function every text renderer passes such text through.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_NAMED: Final = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
# Bidirectional overrides and isolates: they reorder what a reader sees ("trojan source").
_BIDI: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_UNSAFE_CATEGORIES: Final = frozenset({"Cc", "Cs", "Zl", "Zp"})
_COMMAND_START: Final = re.compile(r"^(\s*)::")
"""The runner trims leading white space, then reads ``::name …::`` as a command."""
_LEGACY_COMMAND: Final = "##["
"""``##[name …]value``: the runner's older command syntax, recognised anywhere in a line."""


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"  # noqa: PLR2004  # one byte


def _unsafe(char: str) -> bool:
    return char in _BIDI or unicodedata.category(char) in _UNSAFE_CATEGORIES


def printable(text: str) -> str:
    r"""Return ``text`` as one visible line that no terminal or CI runner acts on.

    Control characters (C0, DEL, C1), line and paragraph separators, lone surrogates and
    bidirectional controls are written as escapes (``\n``, ``\x1b``, ``\u2028``); ``##[``
    becomes ``#\x23[`` and a leading ``::`` (after white space) ``\x3a:``, so the line is
    never a workflow command.
    """
    if not (text.isascii() and text.isprintable()):
        text = "".join(_escape(c) if _unsafe(c) else c for c in text)
    text = text.replace(_LEGACY_COMMAND, "#\\x23[")
    return _COMMAND_START.sub(lambda m: m.group(1) + "\\x3a:", text, count=1)

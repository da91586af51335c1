"""Read GitHub workflow commands back, as the Actions runner does, to check what was written."""

from __future__ import annotations

import re

_ESCAPES = {"%25": "%", "%0D": "\r", "%0A": "\n", "%3A": ":", "%2C": ","}
_COMMAND = re.compile(r"::(?P<command>\w+)(?: (?P<properties>[^:]*))?::(?P<message>.*)", re.DOTALL)


def unescape(value: str) -> str:
    """Invert escapeData/escapeProperty in one pass, as the Actions runner reads them back."""
    return re.sub("%(?:25|0D|0A|3A|2C)", lambda m: _ESCAPES[m.group()], value)


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """Split a workflow command into its name, unescaped properties and unescaped message."""
    match = _COMMAND.fullmatch(line)
    assert match is not None, line
    pairs = (item.split("=", 1) for item in (match["properties"] or "").split(",") if item)
    properties = {key: unescape(value) for key, value in pairs}
    return match["command"], properties, unescape(match["message"])

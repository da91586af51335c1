"""The official SARIF 2.1.0 JSON schema (test data) and a validator for it, with no network."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from jsonschema.validators import validator_for

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"

# RFC 3986: a URI reference holds only these characters, and '%' only before two hex digits.
_URI_CHARACTERS = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?#\[\]]|%[0-9A-Fa-f]{2})*")


@cache
def validator() -> Validator:
    """A validator for the schema's own draft (2020-12); its refs are internal, nothing is fetched.

    Formats are not checked: jsonschema checks 'uri' only with optional packages this project
    does not install, so URIs are checked by :func:`uri_errors` instead.
    """
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return validator_for(schema)(schema)


def schema_errors(log: dict[str, Any]) -> list[str]:
    """Every way ``log`` breaks the schema, as readable lines (empty if it is valid)."""
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator().iter_errors(log)]


def uri_errors(log: dict[str, Any]) -> list[str]:
    """Every artifact or help URI in ``log`` that is not an RFC 3986 URI of the expected kind."""
    errors = []
    for run in log["runs"]:
        for rule in run["tool"]["driver"]["rules"]:  # an absolute http(s) URI, fragment allowed
            uri = rule.get("helpUri", "https://example.org/")
            if _URI_CHARACTERS.fullmatch(uri) is None or not urlsplit(uri).netloc:
                errors.append(f"helpUri {uri!r}")
        base = run["originalUriBaseIds"]["%SRCROOT%"]
        if "uri" in base and not _is_uri(base["uri"], absolute=True):
            errors.append(f"base {base['uri']!r}")
        for result in run.get("results", []):
            for location in result.get("locations", []):
                artifact = location["physicalLocation"]["artifactLocation"]
                relative = "uriBaseId" in artifact
                if not _is_uri(artifact["uri"], absolute=not relative):
                    errors.append(f"artifact {artifact['uri']!r}")
    return errors


def _is_uri(value: str, *, absolute: bool) -> bool:
    """Whether ``value`` is a path-only URI reference: relative, or absolute with a scheme."""
    if _URI_CHARACTERS.fullmatch(value) is None:
        return False
    parts = urlsplit(value)
    if parts.query or parts.fragment:  # an encoded path never has them
        return False
    # Relative: no scheme, so no ':' in the first segment, and no authority ('//').
    return bool(parts.scheme) if absolute else not (parts.scheme or parts.netloc)

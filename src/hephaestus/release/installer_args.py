"""Which extra installer arguments a verified install accepts: none that adds a source.

The install runs pip or uv offline, on the verified wheelhouse alone. An extra argument such as
``--find-links http://…``, ``--index-url``, ``-r other.txt``, ``-e .`` or a requirement or URL
would bring in packages no checksum or signature covers, so only arguments that change *how*
the wheels are installed (where, whether dependencies, how loudly) are accepted, each by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from hephaestus.core.errors import SafetyError, field_ref

if TYPE_CHECKING:
    from collections.abc import Sequence

FLAGS: Final = frozenset(
    {
        "--no-deps",
        "--force-reinstall",
        "--ignore-installed",
        "-I",
        "--reinstall",
        "--no-compile",
        "--compile",
        "--user",
        "--no-warn-script-location",
        "--no-warn-conflicts",
        "--break-system-packages",
        "-q",
        "--quiet",
        "-v",
        "--verbose",
    }
)
"""Accepted arguments that take no value."""
WITH_VALUE: Final = frozenset({"--target", "-t", "--prefix", "--root", "--upgrade-strategy"})
"""Accepted options that take a value (``--target DIR`` or ``--target=DIR``)."""


def _refuse(argument: str, why: str) -> SafetyError:
    return SafetyError(
        f"{field_ref('pip_args')}: refusing {argument!r}: {why}; nothing was installed",
        hint="the install uses the verified wheelhouse alone; accepted: "
        + ", ".join(sorted(FLAGS | WITH_VALUE)),
        code="installer-argument-refused",
    )


def check_installer_args(arguments: Sequence[str]) -> tuple[str, ...]:
    """Return ``arguments`` if each only changes how the verified wheels are installed.

    Raises:
        SafetyError: an argument could add a package source (an index, find-links, a
            requirement, a file, a URL) or is not known to be harmless (exit 3).

    """
    pending_value = False
    for argument in arguments:
        if pending_value:
            pending_value = False
            if argument.startswith("-"):  # the installer could read it either way
                raise _refuse(argument, "an option where a value was expected")
            continue
        name, equals, _ = argument.partition("=")
        if name in WITH_VALUE:
            pending_value = not equals
        elif argument in FLAGS:
            continue
        elif argument.startswith("-"):
            raise _refuse(argument, "not an argument known to leave the sources alone")
        else:
            raise _refuse(argument, "a requirement, file or URL would add a package source")
    if pending_value:
        raise _refuse(arguments[-1], "it needs a value")
    return tuple(arguments)

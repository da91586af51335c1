r"""gitignore-style patterns in configuration: checked once, when the configuration loads.

pathspec compiles a pattern lazily and raises on some (``!``, a lone ``\\``, ``[z-a]``): a
pattern from ``pyproject.toml`` or the environment must fail as a configuration error naming
its key (exit 2), not later as a crash.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator


def check_gitignore_patterns(value: tuple[str, ...]) -> tuple[str, ...]:
    r"""Check each pattern compiles as gitignore syntax (``!``, ``\\``, ``[z-a]`` do not)."""
    import pathspec  # noqa: PLC0415  # only when a section has patterns

    for line in value:
        try:
            pathspec.GitIgnoreSpec.from_lines([line])
        except (ValueError, re.error, TypeError, IndexError) as exc:
            message = f"{line!r} is not a gitignore-style pattern ({exc})"
            raise ValueError(message) from None
    return value


Patterns = Annotated[tuple[str, ...], AfterValidator(check_gitignore_patterns)]
"""gitignore-style patterns, each checked when the configuration is loaded."""

"""The whole ``[tool.hephaestus]`` table, assembled from the sections each operation owns.

Each operation defines its own section (``cleanup/settings.py``, ``gates/settings.py``,
``release/settings.py``, ``analytics/settings.py``); this module, one level above them, puts
them together and loads the result with :func:`hephaestus.core.config.load_model`. The
``config`` operation's result, :class:`ConfigReport`, lives here too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from pydantic import BaseModel, ConfigDict, Field

from hephaestus.analytics.settings import AnalyticsSection
from hephaestus.cleanup.settings import CleanupSection
from hephaestus.core.config import load_model
from hephaestus.core.logging import LogFormat, LogLevel  # noqa: TC001  # pydantic reads them
from hephaestus.gates.settings import GuardRailsSection
from hephaestus.release.settings import ReleaseSection
from hephaestus.serving import ServeSection

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


class HephaestusConfig(BaseModel):
    """The whole ``[tool.hephaestus]`` table: shared keys and one sub-table per operation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    log_level: LogLevel = "warning"
    """Lowest level of log events written to stderr."""
    log_format: LogFormat = "text"
    """How log events are written: human-readable text or one JSON object per line."""
    cleanup: CleanupSection = CleanupSection()
    """``[tool.hephaestus.cleanup]``: defaults of ``hephaestus cleanup``."""
    guard_rails: GuardRailsSection = GuardRailsSection()
    """``[tool.hephaestus.guard-rails]``: gates, timeouts, cache and per-gate settings."""
    release: ReleaseSection = ReleaseSection()
    """``[tool.hephaestus.release]``: repository, asset patterns, pinned signer, limits."""
    analytics: AnalyticsSection = AnalyticsSection()
    """``[tool.hephaestus.analytics]``: history window, file patterns, ranking caps, profiles."""
    serve: ServeSection = ServeSection()
    """``[tool.hephaestus.serve]``: the bearer tokens (hashes) ``hephaestus serve`` accepts."""


def load_config(root: Path, *, overrides: Mapping[str, Any] | None = None) -> HephaestusConfig:
    """Load the effective configuration of the repository at ``root``.

    ``overrides`` are values the caller gives (snake_case field names; ``None`` falls through).

    Raises:
        ConfigError: a key is unknown, a value is invalid, or pyproject.toml is not valid TOML.

    """
    return load_model(HephaestusConfig, root, overrides=overrides)


HIDDEN: Final = "(hidden)"
"""What the configuration report shows in place of a token's hash."""


class ConfigReport(BaseModel):
    """The configuration hephaestus uses for a repository, after every source is applied."""

    model_config = ConfigDict(frozen=True)

    root: str = Field(description="Repository root the configuration belongs to.")
    pyproject: str | None = Field(description="pyproject.toml read, or null if there is none.")
    values: dict[str, Any] = Field(
        description="Effective [tool.hephaestus] values, keyed as in pyproject.toml."
    )


def _snake_to_kebab(data: Any) -> Any:  # noqa: ANN401  # configuration values of any shape
    if isinstance(data, dict):
        return {k.replace("_", "-"): _snake_to_kebab(v) for k, v in data.items()}
    return data


def report_config(root: Path, config: HephaestusConfig) -> ConfigReport:
    """Describe ``config`` of the repository at ``root`` as it would be written in the file."""
    pyproject = root / "pyproject.toml"
    values = config.model_dump(mode="json")
    # A token's hash is not the token, but a weak token can be guessed from it offline: the
    # report (served to any reader by hephaestus serve) names each token, never its hash.
    for token in values["serve"]["tokens"]:
        token["hash"] = HIDDEN
    return ConfigReport(
        root=str(root),
        pyproject=str(pyproject) if pyproject.is_file() else None,
        values=_snake_to_kebab(values),
    )

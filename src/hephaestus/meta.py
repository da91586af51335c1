"""Operations about hephaestus itself: its version and the configuration it would use."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003  # pydantic reads it
from typing import TYPE_CHECKING

from pydantic import Field

from hephaestus.core.request import Request, directory_root
from hephaestus.version import VersionInfo, collect_version_info

if TYPE_CHECKING:
    from hephaestus.configuration import ConfigReport
    from hephaestus.core.context import Context


class VersionRequest(Request):
    """No fields: the version of hephaestus and what it runs on."""

    def config_root(self, cwd: Path) -> Path:
        """Return the working directory: the version reads no configuration (and runs no git)."""
        return cwd


def version(request: VersionRequest, context: Context) -> VersionInfo:
    """Return the version of hephaestus, Python and the platform."""
    del request, context
    return collect_version_info()


class ConfigRequest(Request):
    """Which repository's configuration to show."""

    root: Path | None = Field(
        default=None,
        description="Repository to read (default: the git work tree of the working directory).",
    )

    def config_root(self, cwd: Path) -> Path:
        """Return the git work tree holding ``root`` (relative to ``cwd``), else ``root`` itself."""
        from hephaestus.core.config import find_repository_root  # noqa: PLC0415  # runs git

        if self.root is None:  # directory_root would ask git already: once is enough
            return find_repository_root(cwd)
        return find_repository_root(directory_root(self.root, cwd))


def config(request: ConfigRequest, context: Context) -> ConfigReport:
    """Return the effective, validated configuration of ``context.root``."""
    # Every operation's settings: imported for this operation only, not for ``version``.
    from hephaestus.configuration import HephaestusConfig, report_config  # noqa: PLC0415

    del request
    loaded = context.configuration(context.root)
    if not isinstance(loaded, HephaestusConfig):  # pragma: no cover  # faces load the whole table
        msg = f"expected the whole configuration, got {type(loaded).__name__}"
        raise TypeError(msg)
    return report_config(context.root, loaded)

"""What hephaestus is and runs on: the operation behind ``hephaestus version``."""

from __future__ import annotations

import platform
import sys

from pydantic import BaseModel, ConfigDict, Field

from hephaestus.core.metadata import package_version


class VersionInfo(BaseModel):
    """The version of hephaestus and of the Python and platform it runs on."""

    model_config = ConfigDict(frozen=True)

    version: str = Field(description="Version of hephaestus.")
    python: str = Field(description="Version of the Python interpreter.")
    implementation: str = Field(description="Python implementation, e.g. CPython.")
    executable: str = Field(description="Path of the Python interpreter.")
    platform: str = Field(description="Operating system and architecture.")


def collect_version_info() -> VersionInfo:
    """Return the version of hephaestus, Python and the platform."""
    return VersionInfo(
        version=package_version(),
        python=platform.python_version(),
        implementation=platform.python_implementation(),
        executable=sys.executable,
        platform=f"{platform.system()} {platform.release()} {platform.machine()}".strip(),
    )

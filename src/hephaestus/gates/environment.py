"""The Python environment whose tools the gates run: the checked repository's, not ours.

Versions come from the environment's package metadata (``*.dist-info``), never from parsing a
tool's ``--version`` output.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import sysconfig
from dataclasses import dataclass, field
from functools import cached_property
from importlib import metadata
from pathlib import Path

from hephaestus.core.errors import ConfigError

_BIN = "Scripts" if os.name == "nt" else "bin"


@dataclass(frozen=True)
class ToolEnvironment:
    """A virtual environment (or the running interpreter's): where tools and metadata live."""

    prefix: Path
    bin_dir: Path
    site_packages: tuple[Path, ...]
    _versions: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def running(cls) -> ToolEnvironment:
        """Describe the environment of the interpreter running hephaestus."""
        paths = sysconfig.get_paths()
        sites = tuple(dict.fromkeys(Path(paths[k]) for k in ("purelib", "platlib")))
        return cls(Path(sys.prefix), Path(paths["scripts"]), sites)

    @classmethod
    def at(cls, prefix: Path) -> ToolEnvironment:
        """Describe the virtual environment at ``prefix`` (holding ``pyvenv.cfg``).

        Raises:
            ConfigError: ``prefix`` is not a virtual environment.

        """
        if not (prefix / "pyvenv.cfg").is_file():
            raise ConfigError(
                f"{prefix} is not a virtual environment (it has no pyvenv.cfg)",
                hint="point [tool.hephaestus.guard-rails] environment at a venv, or run: uv sync",
            )
        sites = tuple(sorted(prefix.glob("lib/python3*/site-packages"))) or (
            prefix / "Lib" / "site-packages",
        )
        return cls(prefix, prefix / _BIN, sites)

    @classmethod
    def for_repository(cls, root: Path, configured: str | None) -> ToolEnvironment:
        """Choose the environment for ``root``: the configured one, else ``.venv``, else ours."""
        if configured is not None:
            return cls.at((root / configured).resolve())
        local = root / ".venv"
        if (local / "pyvenv.cfg").is_file():
            return cls.at(local.resolve())
        return cls.running()

    def describe(self) -> str:
        """Name the environment in messages (by its prefix)."""
        return f"the environment {self.prefix}"

    def version_of(self, distribution: str) -> str | None:
        """Return the installed version of ``distribution``, or ``None`` if it is absent."""
        if distribution not in self._versions:
            try:
                found = next(
                    iter(
                        metadata.distributions(
                            name=distribution, path=list(map(str, self.site_packages))
                        )
                    )
                )
            except StopIteration:
                self._versions[distribution] = None
            else:
                self._versions[distribution] = found.version
        return self._versions[distribution]

    def executable(self, name: str) -> Path | None:
        """Return the environment's executable ``name``, or ``None`` if it has none."""
        for candidate in (self.bin_dir / name, self.bin_dir / f"{name}.exe"):
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
        return None

    @property
    def python(self) -> Path:
        """The environment's interpreter."""
        return self.executable("python") or Path(sys.executable)

    @cached_property
    def fingerprint(self) -> str:
        """Digest the interpreter version and every installed distribution and version."""
        names: list[str] = [sys.version if self.prefix == Path(sys.prefix) else ""]
        with contextlib.suppress(OSError):  # a venv records its interpreter's version here
            names.append((self.prefix / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace"))
        for site in self.site_packages:
            try:
                names += sorted(e.name for e in os.scandir(site) if e.name.endswith(".dist-info"))
            except OSError:
                continue
        return hashlib.sha256("\n".join([str(self.prefix), *names]).encode()).hexdigest()

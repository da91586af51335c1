"""Find the gates: every entry point in the ``hephaestus.gates`` group, built-ins included.

A plugin that fails to import, is not a :class:`~hephaestus.gates.spec.Gate`, was built for
another contract version or clashes with another gate's name is a :class:`PluginError` naming
it (exit 2): never a silent fallback.
"""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from hephaestus.core.errors import ConfigError, UsageError
from hephaestus.gates.spec import ENTRY_POINT_GROUP, NAME_PATTERN, SPEC_VERSION, Gate, GateConfig

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path


class PluginError(UsageError):
    """A gate plugin could not be loaded or is not a valid gate."""

    code = "plugin-error"


def _origin(entry: metadata.EntryPoint) -> str:
    dist = entry.dist
    where = f"{dist.name} {dist.version}" if dist is not None else "an unknown distribution"
    return f"gate plugin {entry.name!r} ({entry.value}, from {where})"


def _load(entry: metadata.EntryPoint) -> Gate[Any]:
    try:
        loaded = entry.load()
    except Exception as exc:  # any import-time failure of third-party code
        raise PluginError(
            f"{_origin(entry)} failed to load: {type(exc).__name__}: {exc}",
            hint="fix or uninstall the plugin",
        ) from exc
    if not (isinstance(loaded, type) and issubclass(loaded, Gate)):
        raise PluginError(
            f"{_origin(entry)} is not a hephaestus.gates.spec.Gate subclass",
            hint="the entry point must name a Gate subclass",
        )
    if loaded.spec_version != SPEC_VERSION:
        raise PluginError(
            f"{_origin(entry)} implements gate contract {loaded.spec_version}, "
            f"this hephaestus implements {SPEC_VERSION}",
            hint="upgrade the plugin or hephaestus so that they match",
        )
    if getattr(loaded, "name", None) != entry.name or not NAME_PATTERN.match(entry.name):
        raise PluginError(
            f"{_origin(entry)} declares the name {getattr(loaded, 'name', None)!r}; "
            "it must equal the entry-point name and be kebab-case",
            hint="rename the entry point or the gate",
        )
    return loaded()


def discover_gates() -> dict[str, Gate[Any]]:
    """Load every installed gate, keyed by name, built-ins first then plugins by name.

    Raises:
        PluginError: a plugin failed to load, is invalid, or two gates share a name.

    """
    gates: dict[str, Gate[Any]] = {}
    origins: dict[str, str] = {}
    entries = sorted(
        metadata.entry_points(group=ENTRY_POINT_GROUP),
        key=lambda e: (not e.value.startswith("hephaestus."), e.name),
    )
    for entry in entries:
        if entry.name in gates:
            if origins[entry.name] == entry.value:  # the same install seen twice on sys.path
                continue
            raise PluginError(
                f"two gates are named {entry.name!r}: {origins[entry.name]} and {entry.value}",
                hint="uninstall one of the plugins",
            )
        gates[entry.name] = _load(entry)
        origins[entry.name] = entry.value
    return gates


def configure_gate(gate: Gate[Any], table: Mapping[str, Any], pyproject: Path | None) -> GateConfig:
    """Validate ``[tool.hephaestus.guard-rails.gate.<name>]`` with the gate's own model.

    Raises:
        ConfigError: a key is unknown or a value is invalid, naming the gate and the key.

    """
    try:
        return gate.config_model.model_validate(dict(table))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p).replace("_", "-") for p in error["loc"]) or "(table)"
        where = f"{pyproject}: " if pyproject is not None else ""
        problem = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        raise ConfigError(
            f"{where}[tool.hephaestus.guard-rails.gate.{gate.name}] key {key!r}: {problem}",
            hint=f"see the settings of the {gate.name!r} gate in docs/reference/configuration.md",
        ) from exc

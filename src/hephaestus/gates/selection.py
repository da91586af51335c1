"""Which gates a guard-rails run starts, which it was asked for by name, and with what settings.

A gate named in the ``gates`` option, in ``[tool.hephaestus.guard-rails] gates``, by a QA profile or
with its own ``[tool.hephaestus.guard-rails.gate.<name>]`` table is *forced*: it runs even where
the repository does not use its tool. Every other gate runs only where the repository uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hephaestus.core.errors import UsageError, field_ref
from hephaestus.gates.registry import configure_gate

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from hephaestus.gates.runner import GuardRailsOptions, ProfileOptions
    from hephaestus.gates.settings import GuardRailsSection
    from hephaestus.gates.spec import Gate, GateConfig


@dataclass(frozen=True, slots=True)
class Planned:
    """A selected gate with its validated configuration, timeout and whether it was forced."""

    gate: Gate[Any]
    config: GateConfig
    timeout: float
    forced: bool


def _check_names(names: Sequence[str], known: Mapping[str, object], where: str) -> None:
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(
            f"{where}: unknown gate {unknown[0]!r}",
            hint=f"installed gates: {', '.join(known)}",
            code="unknown-gate",
        )


def deselect(
    gates: Mapping[str, Gate[Any]], options: GuardRailsOptions, section: GuardRailsSection
) -> dict[str, str]:
    """Return why each deselected gate does not run (selected gates are absent).

    Raises:
        UsageError: a gate name in the options, the configuration or the profile is unknown.

    """
    tables = [name.replace("_", "-") for name in section.gate]
    _check_names(options.gates, gates, field_ref("gates"))
    _check_names(options.skip, gates, field_ref("skip"))
    _check_names(section.gates or (), gates, "[tool.hephaestus.guard-rails] gates")
    _check_names(section.skip, gates, "[tool.hephaestus.guard-rails] skip")
    _check_names(tables, gates, "[tool.hephaestus.guard-rails.gate]")
    profiled = options.profile.gates if options.profile is not None else ()
    if options.profile is not None:
        _check_names(profiled, gates, f"QA profile {options.profile.name!r}")
    wanted = (
        set(options.gates)
        if options.gates
        else (set(section.gates or gates) - set(section.skip)) | set(profiled)
    )
    return {
        name: f"skipped by {field_ref('skip')}" if name in options.skip else "not selected"
        for name in gates
        if name not in wanted or name in options.skip
    }


def forced(options: GuardRailsOptions, section: GuardRailsSection) -> frozenset[str]:
    """Return the gates asked for by name: they run whether the repository uses them or not."""
    profiled = options.profile.gates if options.profile is not None else ()
    tables = (name.replace("_", "-") for name in section.gate)
    return frozenset((*options.gates, *(section.gates or ()), *profiled, *tables))


def _profiled_table(name: str, table: Mapping[str, Any], profile: ProfileOptions) -> dict[str, Any]:
    """Return a gate's table with the profile's demands: required or not, coverage threshold."""
    changed = dict(table)
    if name in profile.gates:
        changed["required"] = True
    elif profile.lenient and profile.gates:
        changed["required"] = False
    if name == "pytest" and profile.coverage_threshold is not None:
        changed["coverage_threshold"] = profile.coverage_threshold
    return changed


def plan(
    gates: Mapping[str, Gate[Any]],
    options: GuardRailsOptions,
    section: GuardRailsSection,
    root: Path,
) -> list[Planned]:
    """Validate every gate's table and return the plan of each one (selected or not).

    Raises:
        ConfigError: a gate's configuration table is invalid.

    """
    tables = {name.replace("_", "-"): table for name, table in section.gate.items()}
    pyproject = root / "pyproject.toml"
    named = forced(options, section)
    planned = []
    for name, gate in gates.items():
        table = tables.get(name, {})
        if options.profile is not None:
            table = _profiled_table(name, table, options.profile)
        config = configure_gate(gate, table, pyproject if pyproject.is_file() else None)
        timeout = options.timeout or config.timeout or section.timeout
        planned.append(Planned(gate, config, timeout, name in named))
    return planned

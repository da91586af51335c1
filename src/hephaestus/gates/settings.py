"""``[tool.hephaestus.guard-rails]``: which gates run, how long, cached or not; QA strictness."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from hephaestus.core.config import Section


class GuardRailsSection(Section):
    """``[tool.hephaestus.guard-rails]``; a gate's own table is ``[…guard-rails.gate.<name>]``."""

    gates: tuple[str, ...] | None = Field(default=None, min_length=1)
    """Gates that run when no --gate is given (default: every installed gate; an empty list is
    refused, not read as every gate)."""
    skip: tuple[str, ...] = ()
    """Gates that never run unless named with --gate."""
    jobs: int | None = Field(default=None, ge=1)
    """Gates run at once (default: the number of CPU cores)."""
    timeout: float = Field(default=900.0, gt=0)
    """Seconds each gate may run before it is stopped; it then could not run (exit 5). A gate's
    table may override it."""
    cache: bool = True
    """Reuse a gate's cached pass when nothing it reads has changed."""
    cache_max_mb: int = Field(default=64, ge=1)
    """Upper bound of the result cache in .hephaestus/cache/, oldest entries dropped first."""
    environment: str | None = None
    """The project's interpreter or virtual environment, relative to the root, as --python
    (default: the active venv unless it is hephaestus' own, .venv, venv, pdm's, poetry's or
    hatch's; never the environment running hephaestus)."""
    changed_only_project_gates: tuple[str, ...] = ()
    """Project-level gates that a changed-files run (``--changed-since``, ``--files``) gives only
    the changed files, like the file-level ones (ruff, yamllint); only gates that can check a
    list of files (mypy) may be named. Every other project-level gate (pytest, pip-audit, mypy
    unless named) checks the whole project in such a run."""
    gate: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per-gate tables, validated by each gate's own configuration model."""
    baseline: str | None = None
    """The baseline file, relative to the root: only findings not in it are reported and fail
    (default: none; --write-baseline writes .hephaestus-baseline.json, to be committed)."""


class Strictness(StrEnum):
    """How strictly a QA profile asks guard-rails to judge findings."""

    lenient = "lenient"
    """Only errors of the profile's required gates fail."""
    standard = "standard"
    """Errors fail."""
    strict = "strict"
    """Findings of every severity fail."""

"""The rollout plan: :func:`build_plan` from the analytics and an optional guard-rails report."""

from __future__ import annotations

from hephaestus.planning.builder import build_plan
from hephaestus.planning.models import Plan

__all__ = ["Plan", "build_plan"]

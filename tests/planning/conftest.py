"""The known repository of tests/analytics, shared with the plan's tests."""

from __future__ import annotations

from tests.analytics.conftest import known_history, repo

__all__ = ["known_history", "repo"]

"""Remove workspace debris with data loss impossible by design.

``plan_cleanup`` walks the tree once and returns a :class:`CleanupPlan`; ``execute_cleanup``
removes exactly what the plan lists (re-checking each path) and returns a :class:`CleanupReport`,
which is also written as the audit manifest.
"""

from __future__ import annotations

from hephaestus.cleanup.delete import execute_cleanup
from hephaestus.cleanup.models import CleanupOptions, CleanupPlan, CleanupReport
from hephaestus.cleanup.scan import plan_cleanup

__all__ = ["CleanupOptions", "CleanupPlan", "CleanupReport", "execute_cleanup", "plan_cleanup"]

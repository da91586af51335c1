"""``tools refactor functions``: function-level hotspots of the top hotspot files.

The files are the best ``top`` of ``tools refactor hotspots`` (same window, same exclusions);
their functions' commit counts come from one extra ``git log`` limited to them
(:mod:`hephaestus.analytics.functions` says how, and what is approximate).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from hephaestus.analytics.function_models import FunctionHotspot, FunctionHotspotReport
from hephaestus.analytics.requests import AnalysisRequest, resolve

if TYPE_CHECKING:
    from hephaestus.core.context import Context

DEFAULT_TOP = 10


class FunctionsRequest(AnalysisRequest):
    """``tools_refactor_functions``: which functions of the top hotspot files changed, how often."""

    OVERRIDES: ClassVar[dict[str, str]] = {}

    top: int = Field(
        default=DEFAULT_TOP, ge=1, description="How many of the top hotspot files are read."
    )


def functions(request: FunctionsRequest, context: Context) -> FunctionHotspotReport:
    """Score the changed functions of the top hotspot files: commits * current complexity.

    Raises:
        UsageError: not a git repository, or a bad `` `since` `` (exit 2).
        ExternalError: git failed (exit 5).

    """
    from hephaestus.analytics.analysis import analysis_store, collect  # noqa: PLC0415  # git
    from hephaestus.analytics.functions import changed_functions  # noqa: PLC0415
    from hephaestus.analytics.operation import section_of  # noqa: PLC0415
    from hephaestus.analytics.rank import hotspot_scores  # noqa: PLC0415

    chosen = resolve(request, section_of(context))
    with analysis_store(context.root, persist=chosen.options.store) as store:
        inputs = collect(
            context.root, section=chosen.section, options=chosen.options, store=store,
            progress=context.progress,
        )  # fmt: skip
    top = [path for path, *_ in hotspot_scores(inputs)[: request.top]]
    counts = changed_functions(inputs, top)
    rows = [
        FunctionHotspot(
            path=path,
            function=fn.name,
            line=fn.line,
            commits=commits,
            complexity=fn.complexity,
            score=commits * fn.complexity,
            file_commits=inputs.churn[path].commits,
        )
        for path in top
        for fn in inputs.complexity[path].functions
        if (commits := counts.get((path, fn.name), 0))
    ]
    rows.sort(key=lambda r: (-r.score, -r.commits, r.path, r.function))
    return FunctionHotspotReport(
        window=inputs.window, files=tuple(top), functions=tuple(rows),
        missing=tuple(m for m in inputs.missing if m.factor in {"history", "paths", "complexity"}),
    )  # fmt: skip

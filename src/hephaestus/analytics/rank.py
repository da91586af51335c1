"""The formulas: hotspots, the four ranking strategies, opportunities, coupling, coverage risk.

Pure functions over measured :class:`~hephaestus.analytics.analysis.Inputs`; each is
documented, with its constants, in docs/reference/analytics.md.
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations, groupby
from typing import TYPE_CHECKING, Final

from hephaestus.analytics.models import (
    CouplingPair,
    CoverageGap,
    Effort,
    FileCoverage,
    HotspotRow,
    Opportunity,
    OpportunityKind,
    RankingRow,
    RankingStrategy,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from hephaestus.analytics.analysis import Inputs

WEIGHTS: Final[dict[RankingStrategy, dict[str, float]]] = {
    RankingStrategy.risk_weighted: {"gap": 0.5, "uncovered": 0.3, "churn": 0.2},
    RankingStrategy.coverage_first: {"gap": 0.8, "uncovered": 0.2},
    RankingStrategy.churn_based: {"churn": 1.0, "uncovered_share": 0.3},
    RankingStrategy.composite: {"gap": 0.35, "uncovered": 0.25, "churn": 0.25, "complexity": 0.15},
}
"""Weight of each factor; ``uncovered_share`` is 1 - coverage (churn_based only)."""
_NEEDS_COVERAGE: Final = frozenset({"gap", "uncovered", "uncovered_share"})
DIGITS: Final = 4


def _r(value: float) -> float:
    return round(value, DIGITS)


def coverage_by_path(inputs: Inputs) -> dict[str, FileCoverage]:
    """Coverage of each file of the analysis, by path (empty without coverage data)."""
    if inputs.coverage is None:
        return {}
    return {f.path: f for f in inputs.coverage.files}


def hotspot_scores(inputs: Inputs) -> list[tuple[str, float, int, int, float, float]]:
    """Files changed in the window: commits / max commits * complexity / max complexity.

    Returns (path, score, commits, complexity, churn_norm, complexity_norm), best first: plain
    tuples, so that only the rows shown become models.
    """
    changed = [p for p in inputs.files if p in inputs.churn]
    if not changed:
        return []
    top_commits = max(inputs.churn[p].commits for p in changed)
    top_complexity = max(inputs.complexity[p].total for p in changed)
    scores = []
    for path in changed:
        commits = inputs.churn[path].commits
        total = inputs.complexity[path].total
        churn_norm = commits / top_commits
        complexity_norm = total / top_complexity if top_complexity else 0.0
        score = _r(churn_norm * complexity_norm)
        scores.append((path, score, commits, total, _r(churn_norm), _r(complexity_norm)))
    return sorted(scores, key=lambda r: (-r[1], -r[2], r[0]))


def hotspot_rows(
    inputs: Inputs, scores: Iterable[tuple[str, float, int, int, float, float]]
) -> list[HotspotRow]:
    """Turn :func:`hotspot_scores` (usually the best few) into report rows."""
    return [
        HotspotRow(
            path=path,
            score=score,
            commits=commits,
            complexity=total,
            churn_norm=churn_norm,
            complexity_norm=complexity_norm,
            ingested=inputs.ingested.get(path, {}),
        )
        for path, score, commits, total, churn_norm, complexity_norm in scores
    ]


def _rationale(factors: dict[str, float], values: dict[str, str], missing: list[str]) -> str:
    parts = [f"{values[name]} (+{weight:.3f})" for name, weight in factors.items() if weight > 0]
    text = "; ".join(parts) if parts else "no factor contributed"
    if missing:
        text += f"; missing: {', '.join(missing)}"
    return text


def rank(inputs: Inputs, strategy: RankingStrategy, *, threshold: float) -> list[RankingRow]:
    """Score every file with ``strategy`` (formulas in docs/reference/analytics.md)."""
    section = inputs.section
    covered = coverage_by_path(inputs)
    weights = WEIGHTS[strategy]
    top_complexity = max((inputs.complexity[p].total for p in inputs.files), default=0)
    rows = []
    for path in inputs.files:
        cov = covered.get(path)
        history = inputs.window.head is not None
        churn = inputs.churn.get(path)
        lines = ((churn.added or 0) + (churn.removed or 0)) if churn else 0
        total = inputs.complexity[path].total
        raw: dict[str, float] = {"complexity": total / top_complexity if top_complexity else 0.0}
        values = {"complexity": f"complexity {total} of max {top_complexity}"}
        if cov is not None:
            gap = max(0.0, threshold - cov.covered)
            uncovered = len(cov.uncovered_lines)
            raw |= {
                "gap": gap,
                "uncovered": min(uncovered / section.uncovered_cap, 1.0),
                "uncovered_share": 1.0 - cov.covered,
            }
            values |= {
                "gap": f"coverage {cov.covered:.0%} vs threshold {threshold:.0%}",
                "uncovered": f"{uncovered} uncovered lines",
                "uncovered_share": f"{1 - cov.covered:.0%} uncovered",
            }
        if history:
            raw["churn"] = min(lines / section.churn_cap, 1.0)
            values["churn"] = f"{lines} changed lines"
        missing = sorted(
            {("coverage" if n in _NEEDS_COVERAGE else n) for n in weights if n not in raw}
        )
        factors = {name: _r(w * raw[name]) for name, w in weights.items() if name in raw}
        rows.append(
            RankingRow(
                path=path,
                score=_r(sum(w * raw[name] for name, w in weights.items() if name in raw)),
                coverage=_r(cov.covered) if cov else None,
                uncovered=len(cov.uncovered_lines) if cov else None,
                churn=lines if history else None,
                complexity=total,
                factors=factors,
                missing=tuple(missing),
                rationale=_rationale(factors, values, missing),
                ingested=inputs.ingested.get(path, {}),
            )
        )
    commits = {path: churn.commits for path, churn in inputs.churn.items()}
    return sorted(rows, key=lambda r: ranking_key(r, commits.get(r.path, 0)))


def ranking_key(row: RankingRow, commits: int) -> tuple[float, int, int, str]:
    """Sort key of a ranking: score, then changed lines, then commits (all descending), then path.

    Capped factors tie many files (every file over ``churn_cap`` changed lines scores 1.0 on
    churn): the raw figures behind the cap order them by how much they really changed.
    """
    return (-row.score, -(row.churn or 0), -commits, row.path)


def _effort(value: float, small: float, medium: float) -> Effort:
    if value <= small:
        return Effort.small
    return Effort.medium if value <= medium else Effort.large


def split_candidates(inputs: Inputs) -> list[str]:
    """Return the often-changed files holding a function above ``complex-function``.

    Their functions' own commit counts (:func:`hephaestus.analytics.functions.changed_functions`)
    decide which of those functions :func:`opportunities` suggests splitting.
    """
    section = inputs.section
    in_window = (p for p in inputs.files if p in inputs.churn)
    return [
        path
        for path in in_window
        if inputs.churn[path].commits >= section.often_changed
        and any(f.complexity > section.complex_function for f in inputs.complexity[path].functions)
    ]


def _splits(
    path: str, inputs: Inputs, changed: Mapping[tuple[str, str], int], file_commits: int
) -> Iterator[tuple[tuple[int, float, str, str], Opportunity]]:
    """Split a complex function of an often-changed file that itself changed in the window."""
    limit = inputs.section.complex_function
    for fn in inputs.complexity[path].functions:
        commits = changed.get((path, fn.name), 0)
        if fn.complexity <= limit or not commits:
            continue
        evidence: dict[str, float] = {
            "complexity": fn.complexity,
            "threshold": limit,
            "commits": commits,
            "file_commits": file_commits,
        }
        title = (
            f"split {fn.name} (complexity {fn.complexity}, changed in {commits} of the file's "
            f"{file_commits} commits)"
        )
        yield (
            (0, -fn.complexity * commits, path, fn.name),
            Opportunity(
                kind=OpportunityKind.split_function, path=path, target=fn.name, title=title,
                effort=_effort(fn.complexity, 1.5 * limit, 2.5 * limit), evidence=evidence,
            ),
        )  # fmt: skip


def opportunities(
    inputs: Inputs, *, threshold: float, changed: Mapping[tuple[str, str], int]
) -> list[Opportunity]:
    """Return the concrete suggestions, each with its effort and evidence.

    Split complex functions of often-changed files that changed themselves (``changed``: each
    function's own commits in the window), test often-changed poorly covered files, split
    oversized modules (rules in docs/reference/analytics.md).
    """
    section = inputs.section
    covered = coverage_by_path(inputs)
    found: list[tuple[tuple[int, float, str, str], Opportunity]] = []
    for path in inputs.files:
        measured = inputs.complexity[path]
        commits = inputs.churn[path].commits if path in inputs.churn else 0
        often = commits >= section.often_changed
        if often:
            found.extend(_splits(path, inputs, changed, commits))
        cov = covered.get(path)
        if often and cov is not None and cov.covered < threshold:
            uncovered = len(cov.uncovered_lines)
            evidence = {
                "coverage": _r(cov.covered),
                "threshold": threshold,
                "uncovered": uncovered,
                "commits": commits,
            }
            found.append(
                (
                    (1, -uncovered * commits, path, ""),
                    Opportunity(
                        kind=OpportunityKind.add_tests,
                        path=path,
                        target=None,
                        title=f"add tests to {path} ({cov.covered:.0%} covered, {commits} commits)",
                        effort=_effort(uncovered, 25, 100),
                        evidence=evidence,
                    ),
                )
            )
        if measured.loc > section.large_module:
            evidence = {
                "loc": measured.loc,
                "threshold": section.large_module,
                "functions": len(measured.functions),
                "commits": commits,
            }
            found.append(
                (
                    (2, -measured.loc, path, ""),
                    Opportunity(
                        kind=OpportunityKind.split_module,
                        path=path,
                        target=None,
                        title=f"split {path} ({measured.loc} lines of code)",
                        effort=_effort(
                            measured.loc, 1.5 * section.large_module, 3 * section.large_module
                        ),
                        evidence=evidence,
                    ),
                )
            )
    return [opportunity for _, opportunity in sorted(found, key=lambda item: item[0])]


def coupling(
    changesets: Iterable[tuple[str, str]], files: set[str], *, min_revs: int, min_degree: float
) -> list[CouplingPair]:
    """code-maat's coupling: shared commits / mean(revisions of each) * 100, per file pair."""
    revisions: Counter[str] = Counter()
    shared: Counter[tuple[str, str]] = Counter()
    for _, rows in groupby(changesets, key=lambda row: row[0]):
        paths = sorted({path for _, path in rows if path in files})
        revisions.update(paths)
        shared.update(combinations(paths, 2))
    pairs = []
    for (first, second), count in shared.items():
        a, b = revisions[first], revisions[second]
        if min(a, b) < min_revs:
            continue
        degree = count / ((a + b) / 2) * 100
        if degree >= min_degree:
            pairs.append(
                CouplingPair(
                    first=first,
                    second=second,
                    shared=count,
                    degree=_r(degree),
                    first_commits=a,
                    second_commits=b,
                )
            )
    return sorted(pairs, key=lambda p: (-p.degree, -p.shared, p.first, p.second))


def coverage_gaps(inputs: Inputs, *, target: float) -> list[CoverageGap]:
    """Files under ``target``, by risk = (target - coverage) * uncovered * (1 + revisions)."""
    gaps = []
    for path, cov in coverage_by_path(inputs).items():
        if path not in inputs.complexity or cov.covered >= target:
            continue
        commits = inputs.churn[path].commits if path in inputs.churn else 0
        uncovered = len(cov.uncovered_lines)
        risk = (target - cov.covered) * uncovered * (1 + commits)
        gaps.append(
            CoverageGap(
                path=path,
                coverage=_r(cov.covered),
                target=target,
                uncovered=uncovered,
                commits=commits,
                risk=_r(risk),
            )
        )
    return sorted(gaps, key=lambda g: (-g.risk, g.path))


def total_coverage(inputs: Inputs) -> float | None:
    """Covered statements over all statements of the analysed files (null without data)."""
    files = [c for p, c in coverage_by_path(inputs).items() if p in inputs.complexity]
    statements = sum(f.statements for f in files)
    if inputs.coverage is None:
        return None
    if not statements:
        return 1.0 if files else None
    return _r(sum(f.covered * f.statements for f in files) / statements)

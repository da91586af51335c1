"""The analytics operations: requests, resolve() precedence, calls through the registry."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.analytics.conftest import SECTION

from hephaestus.analytics import AnalysisOptions, find_coupling, rank_files
from hephaestus.analytics.models import (
    CouplingReport,
    CoverageGapReport,
    HotspotReport,
    IngestReport,
    OpportunityReport,
    RankingReport,
    RankingStrategy,
    SnapshotList,
)
from hephaestus.analytics.profiles import ProfileList, QAProfile
from hephaestus.analytics.requests import (
    AnalysisRequest,
    CouplingRequest,
    CoverageGapsRequest,
    HotspotsRequest,
    IngestRequest,
    OpportunitiesRequest,
    RankingsRequest,
    resolve,
)
from hephaestus.analytics.settings import AnalyticsSection
from hephaestus.core.errors import UsageError
from hephaestus.core.request import build_request
from hephaestus.invoke import call
from hephaestus.registry import Safety, operation

if TYPE_CHECKING:
    from pathlib import Path

    from tests.conftest import Cli

DEFAULTS = AnalyticsSection()
CONFIGURED = AnalyticsSection(
    since="2000-01-01", limit=7, coupling_min_revs=4, coupling_min_degree=60.0,
    coverage_threshold=0.5,
)  # fmt: skip
ANALYTICS = [
    "tools_refactor_hotspots",
    "tools_refactor_rankings",
    "tools_refactor_opportunities",
    "tools_refactor_coupling",
    "tools_qa_coverage",
    "tools_qa_profile",
    "tools_analytics_snapshots",
]
GOOD = {"source": "ci", "kind": "flaky", "value": 3, "unit": "tests",
        "timestamp": "2024-01-06T00:00:00Z", "path": "pkg/util.py"}  # fmt: skip


def _configure(root: Path, extra: str = "") -> None:
    """Write SECTION as the repository's [tool.hephaestus.analytics] (untracked pyproject)."""
    values = SECTION.model_dump(exclude_defaults=True)
    lines = [f"{key.replace('_', '-')} = {json.dumps(value)}" for key, value in values.items()]
    text = "[tool.hephaestus.analytics]\n" + "\n".join(lines) + "\n" + extra
    (root / "pyproject.toml").write_text(text, encoding="utf-8")


def test_the_registry_names_every_tools_command() -> None:
    """Each tools leaf is an operation; only ingest writes state, the queries are read-only."""
    for name in ANALYTICS:
        assert operation(name).safety == {Safety.read_only}, name
        assert operation(name).load().function.__name__
    ingest = operation("tools_analytics_ingest")
    assert ingest.safety == {Safety.writes_state}
    assert ingest.command == "tools analytics ingest"
    assert operation("tools_qa_profile").load().results == (QAProfile, ProfileList)


def test_resolve_without_request_or_configuration_uses_the_defaults() -> None:
    """Nothing given: the documented defaults of [tool.hephaestus.analytics]."""
    chosen = resolve(CouplingRequest(), DEFAULTS)
    assert chosen.section == DEFAULTS
    assert chosen.options == AnalysisOptions(since="12 months", paths=(), coverage=None)


def test_resolve_prefers_configuration_to_defaults() -> None:
    """Unset request fields fall back to the configuration."""
    for request in (HotspotsRequest(), RankingsRequest(), CouplingRequest()):
        chosen = resolve(request, CONFIGURED)
        assert chosen.section == CONFIGURED
        assert chosen.options.since == "2000-01-01"


@pytest.mark.parametrize(
    ("request_", "key", "value"),
    [
        (HotspotsRequest(limit=2), "limit", 2),
        (RankingsRequest(limit=3), "limit", 3),
        (CouplingRequest(min_revs=9), "coupling_min_revs", 9),
        (CouplingRequest(min_degree=12.5), "coupling_min_degree", 12.5),
        (CoverageGapsRequest(target=0.95), "coverage_threshold", 0.95),
    ],
)
def test_resolve_prefers_the_request_to_configuration(
    request_: AnalysisRequest, key: str, value: float
) -> None:
    """A given field wins over its configured key; the other keys stay configured."""
    chosen = resolve(request_, CONFIGURED)
    assert getattr(chosen.section, key) == value
    assert chosen.section.model_copy(update={key: getattr(CONFIGURED, key)}) == CONFIGURED


@settings(max_examples=50, deadline=None)
@given(
    given_limit=st.none() | st.integers(1, 10_000),
    configured=st.integers(1, 10_000),
    since=st.none() | st.sampled_from(["2001-02-03", "3 weeks", "1 year"]),
)
def test_resolve_precedence_holds_for_any_values(
    given_limit: int | None, configured: int, since: str | None
) -> None:
    """The request wins over the configuration, which wins over the defaults."""
    section = AnalyticsSection(limit=configured, since="2 months")
    chosen = resolve(HotspotsRequest(limit=given_limit, since=since), section)
    assert chosen.section.limit == (given_limit if given_limit is not None else configured)
    assert chosen.options.since == (since if since is not None else "2 months")


def test_resolve_carries_paths_coverage_and_storage(tmp_path: Path) -> None:
    """Paths, the coverage file (coverage requests only) and no_store reach the options."""
    chosen = resolve(
        RankingsRequest(paths=("pkg/*",), coverage=tmp_path / "c.xml", no_store=True), DEFAULTS
    )
    assert chosen.options.paths == ("pkg/*",)
    assert chosen.options.coverage == tmp_path / "c.xml"
    assert chosen.options.store is False
    assert resolve(HotspotsRequest(), DEFAULTS).options.store is True


def test_a_bad_window_names_the_field_or_the_configuration_key(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad request since names `since`; a bad configured one names its key, not a flag."""
    with pytest.raises(UsageError, match=r"^`since` 'soon': not a date"):
        resolve(HotspotsRequest(since="soon"), DEFAULTS)
    (tmp_path / "pyproject.toml").write_text('[tool.hephaestus.analytics]\nsince = "soon"\n')
    monkeypatch.chdir(tmp_path)
    out = cli("config")  # refused when the configuration loads, before any analysis
    assert out.exit_code == 2
    error = out.stderr.splitlines()[0]
    assert "[tool.hephaestus.analytics] key 'since'" in error
    assert "the window 'soon': not a date" in error
    assert "--" not in error


@pytest.mark.parametrize(
    ("model", "fields", "name"),
    [
        (HotspotsRequest, {"limit": 0}, "limit"),
        (HotspotsRequest, {"bogus": 1}, "bogus"),
        (RankingsRequest, {"strategy": "best"}, "strategy"),
        (CouplingRequest, {"min_degree": 101}, "min_degree"),
        (CouplingRequest, {"min_degree": float("nan")}, "min_degree"),
        (CoverageGapsRequest, {"target": 1.5}, "target"),
        (OpportunitiesRequest, {"paths": "pkg"}, "paths"),
        (IngestRequest, {}, "request"),
        (IngestRequest, {"file": "a.ndjson", "events": ""}, "request"),
    ],
)
def test_bad_fields_are_usage_errors_naming_the_field(
    model: type[AnalysisRequest | IngestRequest], fields: dict[str, Any], name: str
) -> None:
    """Each bad value is exit 2, its message starting with the field's name, no flag text."""
    with pytest.raises(UsageError) as caught:
        build_request(model, fields)
    assert caught.value.exit_code == 2
    assert caught.value.message.startswith(f"`{name}`: ")
    assert "--" not in caught.value.message


def test_queries_through_call_match_the_library(repo: Path) -> None:
    """The operations read the repository's configuration and answer as the library does."""
    _configure(repo)
    ranked = call("tools_refactor_rankings", {"no_store": True, "limit": 2}, cwd=repo)
    assert isinstance(ranked, RankingReport)
    expected = rank_files(repo, section=SECTION, options=AnalysisOptions(store=False), limit=2)
    assert ranked.rows == expected.rows
    assert ranked.coverage_source is not None
    coupled = call("tools_refactor_coupling", {"no_store": True}, cwd=repo)
    assert isinstance(coupled, CouplingReport)
    library = find_coupling(repo, section=SECTION, options=AnalysisOptions(store=False))
    assert coupled.pairs == library.pairs
    assert coupled.min_revs == SECTION.coupling_min_revs
    assert not (repo / ".hephaestus" / "analytics.db").exists()


def test_the_request_wins_over_the_configuration_in_a_call(repo: Path) -> None:
    """Given fields override pyproject.toml: limit, strategy, thresholds, target."""
    _configure(repo)
    ranked = call(
        "tools_refactor_rankings",
        {"limit": 1, "strategy": "composite", "no_store": True, "paths": ["pkg/core.py"]},
        cwd=repo,
    )
    assert isinstance(ranked, RankingReport)
    assert ranked.strategy is RankingStrategy.composite
    assert [r.path for r in ranked.rows] == ["pkg/core.py"]
    coupled = call("tools_refactor_coupling", {"min_revs": 1, "min_degree": 99}, cwd=repo)
    assert isinstance(coupled, CouplingReport)
    assert (coupled.min_revs, coupled.min_degree) == (1, 99)
    gaps = call("tools_qa_coverage", {"target": 0.3, "no_store": True}, cwd=repo)
    assert isinstance(gaps, CoverageGapReport)
    assert gaps.target == 0.3
    assert [g.path for g in gaps.gaps] == ["pkg/moved.py"]


def test_hotspots_store_snapshots_and_snapshots_lists_them(repo: Path) -> None:
    """Two hotspots calls keep two snapshots; the second has a trend; snapshots lists both."""
    _configure(repo)
    first = call("tools_refactor_hotspots", {}, cwd=repo)
    second = call("tools_refactor_hotspots", {"trend": True, "limit": 1}, cwd=repo)
    assert isinstance(first, HotspotReport)
    assert isinstance(second, HotspotReport)
    assert (first.snapshot, second.snapshot, second.previous_snapshot) == (1, 2, 1)
    assert len(second.rows) == 1
    assert second.rows[0].trend == 0.0
    listing = call("tools_analytics_snapshots", {}, cwd=repo)
    assert isinstance(listing, SnapshotList)
    assert [s.id for s in listing.snapshots] == [2, 1]


def test_a_relative_coverage_file_is_read_from_the_working_directory(repo: Path) -> None:
    """``coverage`` is anchored at the caller's cwd, not the process's."""
    _configure(repo)
    (repo / "pkg" / "cov.xml").write_bytes((repo / "coverage.xml").read_bytes())
    found = call("tools_refactor_opportunities", {"coverage": "cov.xml"}, cwd=repo / "pkg")
    assert isinstance(found, OpportunityReport)
    assert found.coverage_source == str(repo / "pkg" / "cov.xml")
    with pytest.raises(UsageError, match=r"^`coverage` .*nope\.xml: no such file") as caught:
        call("tools_qa_coverage", {"coverage": "nope.xml"}, cwd=repo)
    assert caught.value.hint == "run pytest --cov first, or pass `coverage` FILE"


def test_errors_from_calls_name_fields(repo: Path) -> None:
    """A bad window in a call is a usage error naming `since`; hints name `since` too."""
    _configure(repo)
    with pytest.raises(UsageError, match=r"^`since` 'yesterday-ish': not a date"):
        call("tools_refactor_hotspots", {"since": "yesterday-ish"}, cwd=repo)
    empty = call("tools_refactor_hotspots", {"since": "2030-01-01", "no_store": True}, cwd=repo)
    assert isinstance(empty, HotspotReport)
    assert any(m.hint and "widen `since`" in m.hint for m in empty.missing)
    trend = call("tools_refactor_hotspots", {"trend": True, "no_store": True}, cwd=repo)
    assert isinstance(trend, HotspotReport)
    assert any(m.hint and "`no_store`" in m.hint for m in trend.missing)


def test_ingest_from_a_file_or_inline(repo: Path) -> None:
    """A file relative to cwd, or the events themselves; bad lines numbered, good ones stored."""
    (repo / "pkg" / "events.ndjson").write_text(json.dumps(GOOD) + "\n{oops\n", encoding="utf-8")
    from_file = call("tools_analytics_ingest", {"file": "events.ndjson"}, cwd=repo / "pkg")
    assert isinstance(from_file, IngestReport)
    assert (from_file.accepted, [r.line for r in from_file.rejected]) == (1, [2])
    assert from_file.source == "events.ndjson"
    assert from_file.database == str(repo / ".hephaestus" / "analytics.db")
    inline = call("tools_analytics_ingest", {"events": "\ufeff" + json.dumps(GOOD)}, cwd=repo)
    assert isinstance(inline, IngestReport)
    assert (inline.accepted, inline.source) == (1, "stdin")
    listing = call("tools_analytics_snapshots", {}, cwd=repo)
    assert isinstance(listing, SnapshotList)
    assert listing.events == 2
    with pytest.raises(UsageError, match="cannot read it"):
        call("tools_analytics_ingest", {"file": "missing.ndjson"}, cwd=repo)


def test_profiles_through_call(repo: Path) -> None:
    """A named profile, every profile, and an unknown name (exit 2, known names listed)."""
    _configure(repo, "[tool.hephaestus.analytics.profiles.release]\ncoverage-goal = 0.9\n")
    one = call("tools_qa_profile", {"name": "release"}, cwd=repo)
    assert isinstance(one, QAProfile)
    assert one.coverage_goal == 0.9
    listing = call("tools_qa_profile", {}, cwd=repo)
    assert isinstance(listing, ProfileList)
    assert [p.name for p in listing.profiles] == ["release"]
    with pytest.raises(UsageError, match=r"unknown QA profile 'nightly' \(known: release\)"):
        call("tools_qa_profile", {"name": "nightly"}, cwd=repo)

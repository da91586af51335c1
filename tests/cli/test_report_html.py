"""``render_html``: figures plotly accepts, hostile paths kept as data, a missing plotly said."""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
import pytest

from hephaestus.analytics.models import CouplingPair, MissingData, Window
from hephaestus.analytics.overview import FunctionMetric, OverviewFile, RefactorOverview, TrendPoint
from hephaestus.analytics.team_models import AuthorShare, Ownership
from hephaestus.cli import report_html
from hephaestus.core.errors import ExternalError

if TYPE_CHECKING:
    from collections.abc import Iterator

HOSTILE = "pkg/</script><script>alert(1)</script>&amp;é.py"
"""A legal file name that would end the script element if written unescaped."""
CHARTS = ("hotspot-map", "hotspot-scatter", "trend-chart", "coupling-matrix", "ownership-chart")


def _file(path: str, score: float) -> OverviewFile:
    functions = (FunctionMetric(name="run", line=3, complexity=4),)
    return OverviewFile(
        path=path, score=score, commits=5, complexity=7, loc=40, coverage=None,
        functions=functions, coverage_html=None,
    )  # fmt: skip


def _overview() -> RefactorOverview:
    """Two files, one hostile; a coupled pair; two snapshots (a trend)."""
    files = (_file(HOSTILE, 0.9), _file("pkg/util.py", 0.4))
    pair = CouplingPair(
        first=HOSTILE, second="pkg/util.py", shared=3, degree=60.0,
        first_commits=5, second_commits=5,
    )  # fmt: skip
    trends = tuple(
        TrendPoint(snapshot=n, created=f"2024-01-0{n}T00:00:00Z", head=None,
                   total_complexity=14, files=2, scores={HOSTILE: 0.9})
        for n in (1, 2)
    )  # fmt: skip
    window = Window(since="2000-01-01", head="abc", commits=9, large_commits=0, fetched=9)
    authors = tuple(
        AuthorShare(author=name, lines=lines, commits=1, share=lines / 10)
        for name, lines in (("</script>&amp;", 6), *((f"a{i}", 1) for i in range(4)))
    )  # fmt: skip
    owned = Ownership(
        path="pkg", lines=10, commits=5, main_developer=authors[0].author, main_share=0.6,
        fragmentation=0.5, authors=authors,
    )  # fmt: skip
    return RefactorOverview(
        root="/repo", window=window, files=files, coupling=(pair,), trends=trends,
        ownership=(owned,), coverage_index=None, snapshot=2,
        missing=(MissingData(factor="coverage", message="no coverage </p>"),),
    )  # fmt: skip


class _Scripts(HTMLParser):
    """Collect each script element's text, as a browser splits the page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._open = dict(attrs)
            self.scripts.append((self._open, ""))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open = None


def _scripts(page: str) -> list[tuple[dict[str, str | None], str]]:
    parser = _Scripts()
    parser.feed(page)
    return parser.scripts


def _figures(page: str) -> Iterator[tuple[str, list[Any], dict[str, Any]]]:
    """Each ``Plotly.newPlot(id, data, layout, config)`` of the page, its JSON parsed."""
    decoder = json.JSONDecoder()
    for _, text in _scripts(page):
        call = re.match(r'Plotly\.newPlot\("([^"]+)", ', text)
        if call:
            data, end = decoder.raw_decode(text, call.end())
            layout, _ = decoder.raw_decode(text, end + 2)
            yield call.group(1), data, layout


def test_each_figure_is_valid_for_plotly_and_keeps_its_template() -> None:
    """Plain-dict figures pass plotly.py's own validation and carry its default template."""
    page = report_html.render_html(_overview(), title="t", base="")
    figures = {div: (data, layout) for div, data, layout in _figures(page)}
    assert set(figures) == set(CHARTS)
    template = go.Figure().to_dict()["layout"]["template"]
    for div, (data, layout) in figures.items():
        assert layout["template"] == template, div
        go.Figure(data=data, layout=layout)  # raises on a property plotly does not know


def test_hostile_paths_stay_inside_their_script_elements() -> None:
    """A path spelling </script> ends no element: the data and every figure parse back."""
    page = report_html.render_html(_overview(), title="t", base="")
    scripts = _scripts(page)
    assert len(scripts) == 1 + len(CHARTS) + 2  # plotly.js, the charts, the data, the clicks
    assert all(text != "alert(1)" for _, text in scripts)
    data = next(text for attrs, text in scripts if attrs.get("id") == "report-data")
    assert [f["path"] for f in json.loads(data)["files"]] == [HOSTILE, "pkg/util.py"]
    scatter = next(d for div, d, _ in _figures(page) if div == "hotspot-scatter")
    assert scatter[0]["customdata"][0] == HOSTILE
    owners = next(d for div, d, _ in _figures(page) if div == "ownership-chart")
    assert [(t["name"], t["x"]) for t in owners] == [
        ("</script>&amp;", [0.6]), ("a0", [0.1]), ("a1", [0.1]), ("a2", [0.1]), ("a3", [0.1]),
    ]  # fmt: skip  # largest first; shares summing to 1 leave no "others"
    assert "no coverage &lt;/p&gt;" in page


def test_missing_plotly_is_an_external_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the report extra the page is not drawn: exit 5 with the extra named."""
    report_html._plotly_data.cache_clear()  # noqa: SLF001  # read once per process otherwise
    monkeypatch.setitem(sys.modules, "plotly", None)  # what an import of a missing module sees
    try:
        with pytest.raises(ExternalError, match="needs plotly") as caught:
            report_html.render_html(_overview(), title="t", base="")
    finally:
        report_html._plotly_data.cache_clear()  # noqa: SLF001
    assert "report" in (caught.value.hint or "")

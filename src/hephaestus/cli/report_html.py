"""Draw a :class:`~hephaestus.analytics.overview.RefactorOverview` as one offline HTML file.

plotly.js is inlined once (ADR 0016), every chart's data with it: the file needs no network
when viewed. Plotly (the ``report`` extra) is used only here, only by the command that writes
the report. Clicking a file on the map or the scatter shows its functions.

The figures are plain dicts in plotly.js's own schema, written as ``figure.to_html`` writes
them (plotly's default template and its spelt-out colour scales included): the page is the
same. ``plotly.graph_objects`` validated and deep-copied every value and loaded the template
through the same validators, three quarters of the writing time for 2,000 files (0.19 s
then, 0.06 s now: ``benchmarks/report_html.py``); plotly supplies plotly.js and the template.
"""

from __future__ import annotations

import html
import json
import pkgutil
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from hephaestus.core.errors import ExternalError

if TYPE_CHECKING:
    from hephaestus.analytics.overview import RefactorOverview

COUPLED_FILES: Final = 30
"""At most this many files (those in the strongest pairs) in the coupling matrix."""
TABLE_ROWS: Final = 25
NO_FILES: Final = "no file changed in the history window: nothing to draw."
CONFIG: Final = {"displaylogo": False, "responsive": True}
YL_OR_RD: Final = [
    [0.0, "rgb(255,255,204)"], [0.125, "rgb(255,237,160)"], [0.25, "rgb(254,217,118)"],
    [0.375, "rgb(254,178,76)"], [0.5, "rgb(253,141,60)"], [0.625, "rgb(252,78,42)"],
    [0.75, "rgb(227,26,28)"], [0.875, "rgb(189,0,38)"], [1.0, "rgb(128,0,38)"],
]  # fmt: skip
"""plotly.py's "YlOrRd", spelt out: plotly.js's scale of that name runs the other way."""
BLUES: Final = [
    [0.0, "rgb(247,251,255)"], [0.125, "rgb(222,235,247)"], [0.25, "rgb(198,219,239)"],
    [0.375, "rgb(158,202,225)"], [0.5, "rgb(107,174,214)"], [0.625, "rgb(66,146,198)"],
    [0.75, "rgb(33,113,181)"], [0.875, "rgb(8,81,156)"], [1.0, "rgb(8,48,107)"],
]  # fmt: skip
"""plotly.py's "Blues", spelt out as it writes it into a figure."""

STYLE: Final = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.note{color:#555}.missing{background:#fff6e0;border-left:4px solid #e0a000;padding:.5rem 1rem}
.chart{min-height:420px}table{border-collapse:collapse;font-size:.9rem}
td,th{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:left}td.n{text-align:right}
"""

CLICK: Final = """
window.addEventListener("load", function () {
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var byPath = {};
  data.files.forEach(function (f) { byPath[f.path] = f; });
  function show(path) {
    var file = byPath[path];
    if (!file) { return; }
    var box = document.getElementById("functions");
    box.innerHTML = "";
    var title = document.createElement("h3");
    title.textContent = file.path + " \\u2014 complexity " + file.complexity + ", "
      + file.commits + " commits, score " + file.score.toFixed(2);
    box.appendChild(title);
    if (file.coverage_html) {
      var a = document.createElement("a");
      a.href = data.base + file.coverage_html;
      a.textContent = "coverage of this file (htmlcov)";
      box.appendChild(a);
    }
    if (!file.functions.length) {
      var p = document.createElement("p");
      p.className = "note";
      p.textContent = "no functions in this file";
      box.appendChild(p);
      return;
    }
    var chart = document.createElement("div");
    chart.id = "function-chart";
    box.appendChild(chart);
    var fns = file.functions.slice().reverse();
    Plotly.newPlot(chart, [{type: "bar", orientation: "h",
      x: fns.map(function (f) { return f.complexity; }),
      y: fns.map(function (f) { return f.name + " (line " + f.line + ")"; }),
      marker: {color: "#d95f0e"}}],
      {height: Math.max(220, 28 * fns.length + 80), margin: {l: 260, t: 10},
       xaxis: {title: {text: "cyclomatic complexity"}}}, {displaylogo: false});
  }
  function listen(id, pick) {
    var el = document.getElementById(id);
    if (el && el.on) {
      el.on("plotly_click", function (event) { show(pick(event.points[0])); });
    }
  }
  listen("hotspot-map", function (p) { return p.id; });
  listen("hotspot-scatter", function (p) { return p.customdata; });
  window.hephaestusShow = show;
});
"""


@cache
def _plotly_data(name: str) -> bytes:
    """Return a file of plotly's package data (read once per process).

    Raises:
        ExternalError: plotly (the ``report`` extra) is not installed (exit 5).

    """
    try:
        data = pkgutil.get_data("plotly", f"package_data/{name}")
    except ImportError:
        data = None
    if data is None:
        raise ExternalError(
            "the HTML report needs plotly, which is not installed",
            hint="install the report extra: pip install 'hephaestus-toolkit[report]'",
        )
    return data


def _safe(text: str) -> str:
    """Return JSON ``text`` unable to end the script element it is written into."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _json(value: object) -> str:
    """Return ``value`` as compact JSON, safe inside a script element."""
    return _safe(json.dumps(value, separators=(",", ":")))


def _div(div_id: str, data: list[dict[str, Any]], layout: dict[str, Any]) -> str:
    """Return a chart's div and the script drawing it, as ``figure.to_html`` would write them."""
    template = json.loads(_plotly_data("templates/plotly.json"))
    figure = _json(data), _json({**layout, "template": template})
    return (
        f'<div style="height:{layout["height"]}px; width:100%;"><div id="{div_id}" '
        'class="plotly-graph-div" style="height:100%; width:100%;"></div><script>'
        f'Plotly.newPlot("{div_id}", {figure[0]}, {figure[1]}, {_json(CONFIG)});</script></div>'
    )


def _treemap(report: RefactorOverview) -> str:
    """Map of the tree: area = lines of code, colour = hotspot score (a folder: its hottest)."""
    if not report.files:
        return f'<p class="missing" id="no-files">{NO_FILES}</p>'
    ids: list[str] = []
    parents: list[str] = []
    values: list[int] = []
    colours: list[float] = []
    folders: dict[str, float] = {}
    for f in report.files:
        parts = f.path.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            folders[folder] = max(folders.get(folder, 0.0), f.score)
        ids.append(f.path)
        parents.append("/".join(parts[:-1]))
        values.append(max(f.loc, 1))
        colours.append(f.score)
    for folder, score in folders.items():
        ids.append(folder)
        parents.append(folder.rpartition("/")[0])
        values.append(0)
        colours.append(score)
    labels = [i.rpartition("/")[2] for i in ids]
    trace = {
        "type": "treemap", "ids": ids, "labels": labels, "parents": parents, "values": values,
        "marker": {"colors": colours, "colorscale": YL_OR_RD, "cmin": 0, "cmax": 1,
                   "showscale": True, "colorbar": {"title": {"text": "score"}}},
        "hovertemplate": "%{id}<br>lines %{value}<br>score %{color:.2f}<extra></extra>",
    }  # fmt: skip
    layout = {"margin": {"t": 10, "l": 10, "r": 10, "b": 10}, "height": 560}
    return _div("hotspot-map", [trace], layout)


def _scatter(report: RefactorOverview) -> str:
    """Revisions against complexity, one point per file, coloured by score."""
    if not report.files:
        return f'<p class="missing">{NO_FILES}</p>'
    files = report.files
    trace = {
        "type": "scatter", "mode": "markers",
        "x": [f.commits for f in files], "y": [f.complexity for f in files],
        "customdata": [f.path for f in files],
        "marker": {"color": [f.score for f in files], "colorscale": YL_OR_RD, "cmin": 0,
                   "cmax": 1, "size": 11, "line": {"width": 1, "color": "#555"}},
        "hovertemplate": "%{customdata}<br>%{x} commits, complexity %{y}<extra></extra>",
    }  # fmt: skip
    layout = {
        "xaxis": {"title": {"text": "revisions (commits)"}},
        "yaxis": {"title": {"text": "complexity"}},
        "height": 460,
    }
    return _div("hotspot-scatter", [trace], layout)


def _trend(report: RefactorOverview) -> str:
    """Scores of today's top hotspots and the total complexity, snapshot by snapshot."""
    points = report.trends
    if len(points) < 2:  # noqa: PLR2004  # a line needs two points
        said = next((m for m in report.missing if m.factor == "trend"), None)
        text = "no snapshots yet" if said is None else said.message
        if said is not None and said.hint:
            text += f" — {said.hint}"
        return f'<p class="missing" id="no-trend">{html.escape(text)}</p>'

    when = [p.created for p in points]
    traces: list[dict[str, Any]] = [
        {"type": "scatter", "x": when, "y": [p.scores.get(f.path) for p in points],
         "mode": "lines+markers", "name": f.path}
        for f in report.files[:5]
    ]  # fmt: skip
    traces.append(
        {"type": "scatter", "x": when, "y": [p.total_complexity for p in points],
         "mode": "lines+markers", "name": "total complexity", "yaxis": "y2",
         "line": {"dash": "dot", "color": "#444"}}
    )  # fmt: skip
    layout = {
        "height": 420,
        "yaxis": {"title": {"text": "hotspot score"}, "range": [0, 1.05]},
        "yaxis2": {"title": {"text": "total complexity"}, "overlaying": "y", "side": "right"},
        "legend": {"orientation": "h", "y": -0.2},
    }
    return _div("trend-chart", traces, layout)


def _coupling(report: RefactorOverview) -> str:
    """Coupling degree between the files of the strongest pairs, as a matrix."""
    pairs = sorted(report.coupling, key=lambda p: -p.degree)
    names: list[str] = []
    for pair in pairs:
        for name in (pair.first, pair.second):
            if name not in names and len(names) < COUPLED_FILES:
                names.append(name)
    if not names:
        return '<p class="note" id="no-coupling">no coupled pairs above the thresholds.</p>'
    where = {name: i for i, name in enumerate(names)}
    cells: list[list[float | None]] = [[None] * len(names) for _ in names]
    for pair in pairs:
        a, b = where.get(pair.first), where.get(pair.second)
        if a is not None and b is not None:
            cells[a][b] = cells[b][a] = round(pair.degree, 1)
    trace = {
        "type": "heatmap", "z": cells, "x": names, "y": names, "colorscale": BLUES,
        "zmin": 0, "zmax": 100, "hovertemplate": "%{y}<br>%{x}<br>degree %{z}%<extra></extra>",
    }  # fmt: skip
    layout = {"height": max(360, 24 * len(names) + 200), "margin": {"l": 220, "b": 180}}
    return _div("coupling-matrix", [trace], layout)


OWNERS_DRAWN: Final = 8
"""Authors with a colour of their own in the ownership chart; the rest are "others"."""


def _ownership(report: RefactorOverview) -> str:
    """Draw the authors' shares of each directory's changed lines as stacked bars."""
    places = report.ownership
    if not places:
        return '<p class="missing" id="no-ownership">no changed lines in the window: no owners.</p>'
    totals: dict[str, int] = {}
    for place in places:
        for share in place.authors:
            totals[share.author] = totals.get(share.author, 0) + share.lines
    named = sorted(totals, key=lambda a: (-totals[a], a))[:OWNERS_DRAWN]
    paths = [p.path for p in places]
    shares = [{a.author: a.share for a in p.authors} for p in places]
    traces: list[dict[str, Any]] = [
        {"type": "bar", "orientation": "h", "name": author, "y": paths,
         "x": [round(s.get(author, 0.0), 4) for s in shares],
         "hovertemplate": f"%{{y}}<br>{html.escape(author)} %{{x:.0%}}<extra></extra>"}
        for author in named
    ]  # fmt: skip
    rest = [round(max(0.0, 1 - sum(s.get(a, 0.0) for a in named)), 4) for s in shares]
    if any(rest):
        traces.append(
            {"type": "bar", "orientation": "h", "name": "others", "y": paths, "x": rest,
             "marker": {"color": "#bbb"}, "hovertemplate": "%{y}<br>others %{x:.0%}<extra></extra>"}
        )  # fmt: skip
    axis = {"range": [0, 1], "tickformat": ".0%", "title": {"text": "share of changed lines"}}
    layout = {
        "barmode": "stack", "height": max(300, 24 * len(paths) + 140), "xaxis": axis,
        "yaxis": {"autorange": "reversed"}, "margin": {"l": 220},
        "legend": {"orientation": "h", "y": -0.15},
    }  # fmt: skip
    return _div("ownership-chart", traces, layout)


def _table(report: RefactorOverview, base: str) -> str:
    """Return the hottest files as a table, each linked to its coverage page when there is one."""
    rows = []
    for f in report.files[:TABLE_ROWS]:
        name = html.escape(f.path)
        if f.coverage_html:
            name = f'<a href="{html.escape(base + f.coverage_html)}">{name}</a>'
        covered = "-" if f.coverage is None else f"{f.coverage:.0%}"
        rows.append(
            f"<tr><td class=n>{f.score:.2f}</td><td class=n>{f.commits}</td>"
            f"<td class=n>{f.complexity}</td><td class=n>{covered}</td><td>{name}</td></tr>"
        )
    head = (
        "<tr><th>score</th><th>commits</th><th>complexity</th><th>coverage</th><th>file</th></tr>"
    )
    return f"<table id='hotspot-table'>{head}{''.join(rows)}</table>"


def _data(report: RefactorOverview, base: str) -> str:
    """Return the files and their functions as JSON safe inside a script element."""
    # pydantic writes the files' JSON itself: a dict per file first costs five times as long.
    files = report.model_dump_json(include={"files"})
    return _safe(f'{{"base":{json.dumps(base)},{files[1:]}')


def render_html(report: RefactorOverview, *, title: str, base: str) -> str:
    """Return the whole report as one HTML document that loads nothing from the network.

    ``base`` is prepended to links into the repository (htmlcov pages): the path from the
    HTML file's folder to the repository root, ending in ``/`` (or empty).

    Raises:
        ExternalError: plotly (the ``report`` extra) is not installed (exit 5).

    """
    plotly_js = _plotly_data("plotly.min.js").decode()
    window = report.window
    coverage = (
        f'<a id="coverage-link" href="{html.escape(base + report.coverage_index)}">'
        "coverage report (htmlcov)</a>"
        if report.coverage_index
        else '<span class="note">no htmlcov/ yet: <code>coverage html</code> writes one.</span>'
    )
    missing = "".join(
        f'<p class="missing">{html.escape(m.message)}'
        + (f" — {html.escape(m.hint)}" if m.hint else "")
        + "</p>"
        for m in report.missing
        if m.factor != "trend"
    )
    head = html.escape(window.head[:12] if window.head else "no commits")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{STYLE}</style>
<script>{plotly_js}</script></head><body>
<h1>{html.escape(title)}</h1>
<p class="note">{len(report.files)} files, {window.commits} commits since
{html.escape(window.since)} (HEAD {head}). {coverage}</p>{missing}
<h2>Hotspot map</h2><p class="note">Area: lines of code. Colour: hotspot score (revisions &times;
complexity). Click a file to see its functions; click a folder to zoom in.</p>
<div class="chart">{_treemap(report)}</div>
<h2>Functions</h2><div id="functions"><p class="note">Click a file on the map or the
scatter.</p></div>
<h2>Revisions &times; complexity</h2>{_scatter(report)}
<h2>Trends</h2>{_trend(report)}
<h2>Coupling</h2><p class="note">Degree: shared commits / mean revisions &times; 100.</p>
{_coupling(report)}
<h2>Ownership</h2><p class="note">Each directory's changed lines in the window, by author
(<code>.</code>: the whole repository; as <code>tools team ownership</code> counts them).</p>
{_ownership(report)}
<h2>Hottest files</h2>{_table(report, base)}
<script type="application/json" id="report-data">{_data(report, base)}</script>
<script>{CLICK}</script>
</body></html>
"""

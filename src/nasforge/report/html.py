"""The self-contained HTML report: Plotly inlined once, every figure, the directions and a
sortable, filterable table of every trial. It opens offline: no external assets."""

from __future__ import annotations

import html
import json
from typing import Any

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from nasforge.analysis.knob_data import KnobData
from nasforge.report import figures as fig
from nasforge.report.markdown import final_text
from nasforge.study.record import StudyView
from nasforge.study.trial_rows import trial_rows

TABLE_COLUMNS = ("number", "state", "fidelity", "cost_s", "params", "feasible", "arch", "reason")
STYLE = """
body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
.plot { margin: 1em 0; } .direction { margin: .6em 0; padding: .5em .8em; background: #f4f8fb;
border-left: 4px solid #1f77b4; } .evidence { color: #555; font-size: .9em; }
table { border-collapse: collapse; font-size: .85em; width: 100%; }
th { cursor: pointer; background: #eee; position: sticky; top: 0; }
td, th { border: 1px solid #ddd; padding: 2px 6px; white-space: nowrap; }
td.arch, td.reason { white-space: normal; overflow-wrap: anywhere; }
#filter { margin: .5em 0; width: 20em; }
"""
TABLE_SCRIPT = """
(function () {
  const rows = JSON.parse(document.getElementById('trial-data').textContent);
  const columns = JSON.parse(document.getElementById('trial-columns').textContent);
  const body = document.querySelector('#trials tbody');
  const sort = JSON.parse(document.getElementById('trial-sort').textContent);
  let key = sort.key, ascending = sort.ascending;  // best first
  function render() {
    const needle = document.getElementById('filter').value.toLowerCase();
    const shown = rows.filter(r => JSON.stringify(Object.values(r)).toLowerCase().includes(needle));
    shown.sort((a, b) => (a[key] === b[key] ? 0 : (a[key] === null ? 1 : b[key] === null ? -1 :
      (a[key] < b[key] ? -1 : 1))) * (ascending ? 1 : -1));
    body.innerHTML = shown.map(r => '<tr>' + columns.map(c => '<td class="' + c + '">' +
      String(r[c] === null || r[c] === undefined ? '' : r[c]).replace(/&/g, '&amp;').replace(/</g, '&lt;')
      + '</td>').join('') + '</tr>').join('');
    document.getElementById('shown').textContent = shown.length + ' of ' + rows.length + ' trials';
  }
  document.querySelectorAll('#trials th').forEach(th => th.addEventListener('click', () => {
    ascending = key === th.dataset.key ? !ascending : true; key = th.dataset.key; render();
  }));
  document.getElementById('filter').addEventListener('input', render);
  render();
})();
"""


def render_html(
    view: StudyView,
    data: KnobData,
    diagnosis: dict[str, Any],
    checks: dict[str, Any] | None,
    refresh_s: int = 0,
) -> str:
    """The whole page as a string; `refresh_s` > 0 makes the browser reload it (the dashboard)."""
    plots: list[tuple[str, go.Figure]] = [
        ("best so far", fig.best_so_far(view, data)),
        ("every trial", fig.all_trials(view)),
        ("knob importance", fig.importance(diagnosis)),
        ("knobs against the objective", fig.parallel_coordinates(view, data, diagnosis)),
        ("intermediate curves", fig.curves(view)),
        *[("Pareto front", f) for f in fig.pareto(diagnosis, view)],
        ("timeline", fig.timeline(view)),
        *[("theory against practice", f) for f in fig.theory_vs_practice(view, diagnosis)],
        ("weight and bias norms", fig.norms(view)),
        ("inference time", fig.inference_times(view)),
        *best_model_figures(checks),
    ]
    shown = [(title, figure) for title, figure in plots if _has_points(figure)]
    parts = [_header(view, diagnosis), _directions(diagnosis), _importance_note(diagnosis)]
    for i, (title, figure) in enumerate(shown):
        div = figure.to_html(
            full_html=False, include_plotlyjs=False, div_id=f"plot{i}", config={"displaylogo": False}
        )
        parts.append(f'<section class="plot" data-title="{html.escape(title)}">{div}</section>')
    parts.append(_table(view))
    refresh = f'<meta http-equiv="refresh" content="{refresh_s}">' if refresh_s > 0 else ""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{refresh}'
        f"<title>nasforge report: {html.escape(view.path.name)}</title><style>{STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>{''.join(parts)}"
        f"<script>{TABLE_SCRIPT}</script></body></html>"
    )


def _has_points(figure: go.Figure) -> bool:
    """True when some trace of the figure has something to draw."""
    for trace in figure.data:
        for name in ("x", "y", "z", "dimensions"):
            values = getattr(trace, name, None)
            if values is not None and len(values) > 0:
                return True
    return False


def best_model_figures(checks: dict[str, Any] | None) -> list[tuple[str, go.Figure]]:
    """Confusion matrix, per-class precision and recall, and accuracy under noise of the best model."""
    if checks is None:
        return []
    classes, trial = checks["classes"], checks["trial"]
    confusion = fig.blank(
        f"confusion matrix on the test split (trial {trial})", xaxis_title="predicted", yaxis_title="true"
    )
    confusion.add_trace(
        go.Heatmap(z=checks["confusion"], x=classes, y=classes, colorscale="Blues", texttemplate="%{z}")
    )
    per_class = fig.blank(f"per-class precision and recall (trial {trial})")
    per_class.add_trace(go.Bar(x=classes, y=checks["precision"], name="precision"))
    per_class.add_trace(go.Bar(x=classes, y=checks["recall"], name="recall"))
    noise = fig.blank(
        f"accuracy under Gaussian input noise (trial {trial})", xaxis_title="σ", yaxis_title="test accuracy"
    )
    noise.add_trace(
        go.Scatter(x=list(checks["noise"]), y=list(checks["noise"].values()), mode="lines+markers")
    )
    return [
        ("confusion matrix", confusion),
        ("per-class precision and recall", per_class),
        ("noise robustness", noise),
    ]


def _header(view: StudyView, diagnosis: dict[str, Any]) -> str:
    study = diagnosis["study"]
    best = view.best_trial
    arch = html.escape(view.label(best.genotype)) if best else "none yet"
    objective = html.escape(study["objective"])
    space, strategy = view.config.space.get("name", "?"), view.config.strategy.name
    return (
        f"<h1>nasforge report: {html.escape(str(view.path))}</h1>"
        f"<p>{study['complete']} complete of {study['trials']} trials; objective {objective} "
        f"({study['direction']}); space {html.escape(space)}, strategy {html.escape(strategy)}.</p>"
        f"<p>Best: trial {study['best_trial']} with {objective} = {_short(study['best_value'])}: "
        f"<code>{arch}</code></p><p>{html.escape(final_text(view))}</p>"
    )


def _importance_note(diagnosis: dict[str, Any]) -> str:
    """Why the knob-importance plot is missing, where it is."""
    note = diagnosis["importance"].get("note")
    return "" if note is None else f"<h2>Knob importance</h2><p>Not computed: {html.escape(note)}.</p>"


def _directions(diagnosis: dict[str, Any]) -> str:
    items = "".join(
        f'<div class="direction"><b>{html.escape(d["advice"])}</b> '
        f"({d['kind']}, confidence {d['confidence']:.2f})"
        f'<div class="evidence">evidence: {html.escape(d["evidence"])}</div></div>'
        for d in diagnosis["directions"]
    )
    return "<h2>Directions</h2>" + (
        items or "<p>None: no evidence in this study clears its noise threshold.</p>"
    )


def _table(view: StudyView) -> str:
    rows = trial_rows(view)
    columns = [view.objective, *[c for c in TABLE_COLUMNS if c != view.objective]]
    columns = [c for c in columns if any(c in r for r in rows)]
    slim = [{c: _short(r.get(c)) for c in columns} for r in rows]
    best_first = {"key": view.objective, "ascending": view.direction == "minimize"}
    head = "".join(f'<th data-key="{html.escape(c)}">{html.escape(c)}</th>' for c in columns)
    return (
        '<h2>Every trial</h2><input id="filter" placeholder="filter (any text)"> <span id="shown"></span>'
        f'<table id="trials"><thead><tr>{head}</tr></thead><tbody></tbody></table>'
        f'<script type="application/json" id="trial-data">{_json(slim)}</script>'
        f'<script type="application/json" id="trial-columns">{_json(columns)}</script>'
        f'<script type="application/json" id="trial-sort">{_json(best_first)}</script>'
    )


def _short(value: Any) -> Any:
    """Floats to 5 significant digits, so the table stays readable."""
    return float(f"{value:.5g}") if isinstance(value, float) else value


def _json(value: Any) -> str:
    """JSON to embed in a <script> block: no `<`, `>` or `&` in it can begin a tag or an entity."""
    return (
        json.dumps(value, default=str).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )

"""The report's Plotly figures, each built from the stored study and its diagnosis alone."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nasforge.analysis.importance import codes
from nasforge.analysis.knob_data import KnobData
from nasforge.study.record import StudyView
from nasforge.trial import Trial, TrialState

STATE_COLOURS = {"COMPLETE": "#1f77b4", "FAILED": "#d62728", "PRUNED": "#ff7f0e", "RUNNING": "#7f7f7f"}
TOP_CURVES = 10
HEIGHT = 420
PARALLEL_AXES = 12  # knob axes of the parallel-coordinates plot (plus the objective)
SLOTS_PER_KNOB = 2  # a block knob shows its first two blocks there, so that more knobs fit


def blank(title: str, **layout: Any) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(
        **{"title": title, "height": HEIGHT, "margin": {"l": 60, "r": 20, "t": 50, "b": 50}, **layout}
    )
    return figure


def epoch_axis(figure: go.Figure) -> go.Figure:
    """Ticks at whole epochs only (about ten of them), however long the curves."""
    longest = max((len(trace.x) for trace in figure.data if trace.x is not None), default=1)
    figure.update_xaxes(title="epoch", tick0=1, dtick=max(1, math.ceil(longest / 10)))
    return figure


def scatter(title: str, trials: list[Trial], x: str, y: str) -> go.Figure:
    """One point per trial: metric `x` against metric `y`."""
    figure = blank(title, xaxis_title=x, yaxis_title=y)
    figure.add_trace(
        go.Scatter(
            x=[t.metrics[x] for t in trials],
            y=[t.metrics[y] for t in trials],
            mode="markers",
            name="trials",
            text=[f"trial {t.number}" for t in trials],
            marker={"color": "#1f77b4"},
        )
    )
    return figure


def best_so_far(view: StudyView, data: KnobData) -> go.Figure:
    """Best objective so far against trials and against cumulative cost."""
    objective = view.objectives[0]
    figure = make_subplots(rows=1, cols=2, subplot_titles=("against trials", "against cost (s)"))
    done = sorted(data.trials, key=lambda t: t.number)
    values = [objective.oriented(t.metrics[objective.metric]) for t in done]
    best = [objective.oriented(v) for v in np.maximum.accumulate(values)] if values else []
    cost = np.cumsum([t.cost_s for t in sorted(view.trials, key=lambda t: t.number)])
    at = {t.number: float(cost[i]) for i, t in enumerate(sorted(view.trials, key=lambda t: t.number))}
    numbers = [t.number for t in done]
    figure.add_trace(go.Scatter(x=numbers, y=best, mode="lines", name="best so far", line_shape="hv"), 1, 1)
    figure.add_trace(
        go.Scatter(x=[at[n] for n in numbers], y=best, mode="lines", name="best vs cost", line_shape="hv"),
        1,
        2,
    )
    figure.update_layout(
        title=f"best {objective.metric} so far", height=HEIGHT, showlegend=False, margin={"t": 70}
    )
    return figure


def all_trials(view: StudyView) -> go.Figure:
    """Every trial's objective, coloured by state, sized by fidelity, with its origin on hover."""
    objective = view.objective
    figure = blank(f"every trial: {objective}", xaxis_title="trial", yaxis_title=objective)
    for state, colour in STATE_COLOURS.items():
        trials = [t for t in view.trials if t.state.value == state]
        if not trials:
            continue
        fidelities = [t.fidelity or 1.0 for t in trials]
        largest = max(fidelities) or 1.0
        figure.add_trace(
            go.Scatter(
                x=[t.number for t in trials],
                y=[t.metrics.get(objective, np.nan) for t in trials],
                mode="markers",
                name=state,
                marker={"color": colour, "size": [6 + 8 * f / largest for f in fidelities]},
                text=[
                    f"trial {t.number} · origin {t.origin} · fidelity {t.fidelity} · {t.reason or ''}"
                    for t in trials
                ],
                hoverinfo="text+y",
            )
        )
    return figure


def importance(diagnosis: dict[str, Any]) -> go.Figure:
    """Knob importance with its spread."""
    result = diagnosis["importance"]
    knobs = result["knobs"][::-1]
    if not knobs:  # not computed: the page says why instead
        return go.Figure()
    figure = blank(
        f"knob importance (held-out R² {result['r2']:.2f})<br><sup>{result['method']}; "
        "the best value of each knob beside its name</sup>",
        margin={"l": 220, "r": 20, "t": 70, "b": 50},
        xaxis_title="importance (loss of R² when the knob is shuffled)",
    )
    figure.add_trace(
        go.Bar(
            x=[k["importance"] for k in knobs],
            y=[f"{k['knob']} (best: {k['best_value']})" for k in knobs],
            error_x={"array": [k["std"] for k in knobs]},
            orientation="h",
        )
    )
    return figure


def parallel_coordinates(view: StudyView, data: KnobData, diagnosis: dict[str, Any]) -> go.Figure:
    """The most important knobs against the objective, a block knob by its value in the first
    blocks (a block a chain does not have shows as "-"), a head knob by its value."""
    groups = data.knobs()
    ranked = [k["knob"] for k in diagnosis["importance"]["knobs"]] or list(groups)
    features = [f for knob in ranked for f in groups[knob][:SLOTS_PER_KNOB]][:PARALLEL_AXES]
    dimensions = []
    for feature in features:
        values = ["-" if v is None else v for v in data.column(feature)]
        coded = codes(values)
        labels = {float(c): str(v) for c, v in zip(coded, values, strict=True)}
        ticks = sorted(labels)
        dimensions.append(
            {"label": feature, "values": coded, "tickvals": ticks, "ticktext": [labels[t] for t in ticks]}
        )
    objective = view.objective
    y = [t.metrics[objective] for t in data.trials]
    dimensions.append({"label": objective, "values": y})
    figure = blank(f"knobs against {objective}", margin={"l": 60, "r": 20, "t": 110, "b": 30})
    figure.add_trace(
        go.Parcoords(line={"color": y, "colorscale": "Viridis", "showscale": True}, dimensions=dimensions)
    )
    return figure


def curves(view: StudyView, names: tuple[str, ...] = ("valid_accuracy", "train_accuracy")) -> go.Figure:
    """Per-epoch curves of the best trials."""
    figure = blank("intermediate values per epoch (best trials)")
    for trial in view.leaderboard(TOP_CURVES):
        series = view.curves(trial.number)
        for name in names:
            if series.get(name):
                figure.add_trace(
                    go.Scatter(
                        y=series[name],
                        x=list(range(1, len(series[name]) + 1)),
                        mode="lines",
                        name=f"#{trial.number} {name}",
                        line={"dash": "dot" if name.startswith("train") else "solid"},
                    )
                )
    return epoch_axis(figure)


def pareto(diagnosis: dict[str, Any], view: StudyView) -> list[go.Figure]:
    """The objective against each measured cost, the front highlighted, hypervolume in the title."""
    figures = []
    for front in diagnosis["pareto"]:
        metric, objective = front["metric"], front["objective"]
        done = [
            t
            for t in view.trials
            if t.state is TrialState.COMPLETE and metric in t.metrics and objective in t.metrics
        ]
        reference = ", ".join(f"{name} {value:.4g}" for name, value in front["reference"].items())
        volume = f"hypervolume {front['hypervolume']:.4g} from {reference}"
        title = f"{objective} against {metric}<br><sup>{volume}</sup>"
        figure = scatter(title, done, metric, objective)
        figure.update_layout(margin={"l": 60, "r": 20, "t": 80, "b": 50})
        figure.add_trace(
            go.Scatter(
                x=[p[metric] for p in front["front"]],
                y=[p[objective] for p in front["front"]],
                mode="lines+markers",
                name="Pareto front",
                line_shape="hv",
                text=[f"trial {p['trial']}" for p in front["front"]],
                marker={"color": "#d62728", "size": 9},
            )
        )
        figures.append(figure)
    return figures


def timeline(view: StudyView) -> go.Figure:
    """Trials as bars from start to finish, on as many lanes as ran at once (the workers)."""
    timed = sorted((t for t in view.trials if t.started and t.ended), key=lambda t: t.started or 0.0)
    lanes: list[float] = []  # when each lane is free again
    figure = blank(
        "timeline of trials per worker", xaxis_title="seconds since the first trial", yaxis_title="worker"
    )
    origin = timed[0].started if timed else 0.0
    for trial in timed:
        start, end = (trial.started or 0.0) - (origin or 0.0), (trial.ended or 0.0) - (origin or 0.0)
        lane = next((i for i, free in enumerate(lanes) if free <= start + 1e-6), len(lanes))
        if lane == len(lanes):
            lanes.append(end)
        else:
            lanes[lane] = end
        figure.add_trace(
            go.Bar(
                x=[end - start],
                base=[start],
                y=[f"worker {lane + 1}"],
                orientation="h",
                marker={"color": STATE_COLOURS.get(trial.state.value, "#7f7f7f")},
                text=f"#{trial.number}",
                hovertext=f"trial {trial.number}: {end - start:.2f} s, {trial.state.value}",
                showlegend=False,
            )
        )
    figure.update_layout(barmode="overlay")
    return figure


def theory_vs_practice(view: StudyView, diagnosis: dict[str, Any]) -> list[go.Figure]:
    """Each training-free measure against the objective, with Spearman ρ."""
    objective = view.objective
    figures = []
    for measure, metrics in diagnosis["correlations"].items():
        c = metrics.get(objective)
        if c is None:
            continue
        done = [t for t in view.trials if measure in t.metrics and objective in t.metrics]
        title = f"{measure} against {objective}: Spearman ρ = {c['spearman']:.3f}, "
        figure = scatter(title + f"Kendall τ = {c['kendall']:.3f} (n = {c['n']})", done, measure, objective)
        figures.append(figure)
    return figures


def norms(view: StudyView) -> go.Figure:
    """Per-layer weight and bias L2 norms over the epochs of the best trial."""
    best = view.best_trial
    figure = blank("per-layer weight and bias L2 norms (best trial)", yaxis_title="L2 norm")
    series = view.curves(best.number) if best else {}
    for name, values in series.items():
        if name.startswith("norm/"):
            figure.add_trace(
                go.Scatter(y=values, x=list(range(1, len(values) + 1)), mode="lines", name=name[5:])
            )
    return epoch_axis(figure)


def inference_times(view: StudyView) -> go.Figure:
    """The distribution of per-batch inference time of the best trials."""
    figure = blank("per-inference time (best trials, one thread)", yaxis_title="ms per batch")
    for trial in view.leaderboard(5):
        times = view.curves(trial.number).get("inference_ms")
        if times:
            figure.add_trace(go.Box(y=times, name=f"#{trial.number}", boxpoints="all"))
    return figure

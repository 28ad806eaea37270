"""`diagnose(view)`: theory against practice for one stored study, computed from storage alone.

Rank correlations between the training-free measures (zero-cost proxies, parameters, FLOPs,
memory, latency) and the trained metrics, with the trials they disagree on most; which knobs
matter (and their best values); the Pareto fronts of the objective against each cost with
hypervolume; and the directions (see `directions`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import rankdata

from nasforge.analysis.directions import find_directions
from nasforge.analysis.edges import edge_findings
from nasforge.analysis.importance import knob_importance
from nasforge.analysis.knob_data import KnobData, knob_data
from nasforge.analysis.pareto import pareto_fronts
from nasforge.analysis.proxy_agreement import fidelity_correlations
from nasforge.study.record import StudyView

DISAGREEMENTS = 3


def diagnose(view: StudyView, data: KnobData | None = None) -> dict[str, Any]:
    """Everything `nasforge analyze` shows, as plain data (JSON-ready); `data` is the study's
    `knob_data`, when the caller has it already."""
    data = knob_data(view) if data is None else data
    objective = view.objectives[0]
    correlations = fidelity_correlations(view, complexity=True)
    importance = knob_importance(data)
    edges = edge_findings(data)
    best = view.leaderboard()
    final = view.final_retraining()
    retrain = final.metrics if final else None
    directions = find_directions(data, best, view.curves, importance, edges, correlations, retrain)
    return {
        "study": {
            "path": str(view.path),
            "objective": objective.metric,
            "direction": objective.direction,
            "trials": len(view.trials),
            "complete": len(data.trials),
            "best_trial": best[0].number if best else None,
            "best_value": best[0].metrics.get(objective.metric) if best else None,
        },
        "correlations": correlations,
        "disagreements": {m: disagreements(data, m) for m in correlations},
        "importance": importance,
        "edges": edges,
        "pareto": pareto_fronts(view),
        "directions": [d.to_dict() for d in directions],
    }


def disagreements(data: KnobData, metric: str) -> dict[str, list[dict[str, Any]]]:
    """The trials a training-free measure ranks far above (and far below) where training put them."""
    index = [i for i, t in enumerate(data.trials) if np.isfinite(t.metrics.get(metric, np.nan))]
    if len(index) < 5:
        return {"overrated": [], "underrated": []}
    theory = rankdata([data.trials[i].metrics[metric] for i in index]) / len(index)
    practice = rankdata(data.y[index]) / len(index)
    gap = theory - practice
    rows = [
        {"trial": data.trials[i].number, "theory_rank": float(t), "trained_rank": float(p)}
        for i, t, p in zip(index, theory, practice, strict=True)
    ]
    order = np.argsort(-gap)
    return {
        "overrated": [rows[j] for j in order[:DISAGREEMENTS] if gap[j] > 0],
        "underrated": [rows[j] for j in order[::-1][:DISAGREEMENTS] if gap[j] < 0],
    }

"""The objective against cost: Pareto fronts with hypervolume and its reference point.

For each cost the study measured (latency, parameters, inference memory), the front holds the
COMPLETE trials no other trial beats on both the objective and that cost. The hypervolume is the
area that front dominates above a reference point: the nadir (worst value of each axis) minus 10%
of the axis range, unless given.
"""

from __future__ import annotations

from typing import Any

import moocore
import numpy as np

from nasforge.objectives import pareto_indices
from nasforge.study.record import StudyRecord
from nasforge.trial import TrialState

COSTS = (
    ("latency", ("latency_sample_ms", "lat_")),
    ("params", ("params",)),
    ("memory", ("activation_bytes",)),
)
MARGIN = 0.1


def hypervolume_2d(points: np.ndarray, reference: np.ndarray) -> float:
    """Area dominated by `points` (both axes higher-is-better) above `reference` (moocore's).

    Example:
        >>> hypervolume_2d(np.array([[2.0, 1.0], [1.0, 2.0]]), np.array([0.0, 0.0]))
        3.0
    """
    kept = points[np.all(points > reference, axis=1)]
    if not len(kept):
        return 0.0
    return float(moocore.hypervolume(kept, ref=reference, maximise=True))


def reference_point(points: np.ndarray, margin: float = MARGIN) -> np.ndarray:
    """The nadir minus `margin` of each axis' range (axes higher-is-better)."""
    low, high = points.min(axis=0), points.max(axis=0)
    return low - margin * np.where(high > low, high - low, np.abs(low) + 1.0)


def cost_metric(record: StudyRecord, prefixes: tuple[str, ...]) -> str | None:
    """The first metric of the study's trials that starts with one of `prefixes`."""
    names = sorted({n for t in record.trials for n in t.metrics})
    return next((n for p in prefixes for n in names if n == p or (p.endswith("_") and n.startswith(p))), None)


def pareto_fronts(record: StudyRecord) -> list[dict[str, Any]]:
    """One entry per measured cost: metric names, the front's trials and points, hypervolume and
    reference point (objective as stored; cost as stored, lower is better)."""
    objective = record.objectives[0]
    out = []
    for label, prefixes in COSTS:
        cost = cost_metric(record, prefixes)
        if cost is None or cost == objective.metric:
            continue
        trials = [
            t
            for t in record.trials
            if t.state is TrialState.COMPLETE
            and np.isfinite(t.metrics.get(objective.metric, np.nan))
            and np.isfinite(t.metrics.get(cost, np.nan))
        ]
        if len(trials) < 2:
            continue
        oriented = np.array(
            [[objective.oriented(t.metrics[objective.metric]), -t.metrics[cost]] for t in trials]
        )
        front = [trials[i] for i in pareto_indices(oriented.tolist())]
        reference = reference_point(oriented)
        out.append(
            {
                "cost": label,
                "metric": cost,
                "objective": objective.metric,
                "front": [
                    {"trial": t.number, objective.metric: t.metrics[objective.metric], cost: t.metrics[cost]}
                    for t in sorted(front, key=lambda t: t.metrics[cost])
                ],
                "hypervolume": hypervolume_2d(oriented, reference),
                "reference": {
                    objective.metric: objective.oriented(float(reference[0])),
                    cost: -float(reference[1]),
                },
            }
        )
    return out

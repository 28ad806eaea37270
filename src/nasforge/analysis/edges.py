"""Best trials at the edge of a knob's range: a sign that the space stops too early there.

For every ordered numeric knob that the space could extend past its largest (or smallest)
searched value, each trial's value of the knob (the mean over a chain's blocks) is rank-correlated
with the objective. A finding needs both: the objective rises towards that edge (Spearman ρ,
p below `ALPHA` divided by the number of knobs tested), and at least half of the best trials'
values sit at the edge. `beyond` lists the values the space could add there.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nasforge.analysis.knob_data import KnobData

TOP_SHARE = 0.2
ALPHA = 0.01


def edge_findings(data: KnobData, alpha: float = ALPHA) -> list[dict[str, Any]]:
    """`{"knob", "edge" ("top"/"bottom"), "value", "rho", "p", "share_best", "share_all",
    "beyond"}` per finding."""
    from scipy.stats import spearmanr

    n = len(data.y)
    if n < 10:
        return []
    best = np.argsort(-data.y)[: max(5, math.ceil(TOP_SHARE * n))]
    knobs = {k: f for k, f in data.knobs().items() if _numeric(data.choices.get(f[0], ()))}
    findings = []
    for knob, features in knobs.items():
        choices, allowed = data.choices[features[0]], data.allowed.get(features[0], ())
        values = data.values_by_trial(features)
        present = [i for i in range(n) if values[i]]
        if len(present) < 10:
            continue
        rho, p = spearmanr([np.mean(values[i]) for i in present], data.y[present])
        if not p < alpha / len(knobs):  # NaN (a constant column) never passes
            continue
        edge, value = ("top", max(choices)) if rho > 0 else ("bottom", min(choices))
        beyond = sorted(v for v in allowed if (v > value if edge == "top" else v < value))
        in_best = [v for i in best for v in values[i]]
        everywhere = [v for i in present for v in values[i]]
        share_best = sum(v == value for v in in_best) / max(1, len(in_best))
        if beyond and share_best >= 0.5:
            findings.append(
                {
                    "knob": knob,
                    "edge": edge,
                    "value": value,
                    "rho": float(rho),
                    "p": float(p),
                    "share_best": share_best,
                    "share_all": sum(v == value for v in everywhere) / len(everywhere),
                    "beyond": beyond,
                }
            )
    return findings


def _numeric(choices: tuple[Any, ...]) -> bool:
    return len(choices) >= 2 and all(isinstance(c, int | float) and not isinstance(c, bool) for c in choices)

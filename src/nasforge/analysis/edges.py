"""Best trials at the edge of a knob's range: a sign that the space stops too early there.

For every ordered numeric knob (all blocks of a chain pooled) that the space could extend past
its largest (or smallest) searched value, the share of the best trials' values at that value is
compared with the share among all trials; a hypergeometric test says how unlikely so many would
be by chance. `beyond` lists the values the space could add there.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nasforge.analysis.knob_data import KnobData

TOP_SHARE = 0.2
ALPHA = 0.01


def edge_findings(data: KnobData, alpha: float = ALPHA) -> list[dict[str, Any]]:
    """`{"knob", "edge" ("top"/"bottom"), "value", "share_best", "share_all", "p", "beyond"}` per
    finding."""
    from scipy.stats import hypergeom

    n = len(data.y)
    if n < 10:
        return []
    best = set(np.argsort(-data.y)[: max(5, math.ceil(TOP_SHARE * n))].tolist())
    findings = []
    for knob, features in data.knobs().items():
        choices = data.choices.get(features[0], ())
        if len(choices) < 2 or not all(
            isinstance(c, int | float) and not isinstance(c, bool) for c in choices
        ):
            continue
        pooled = [(i, v) for f in features for i, v in enumerate(data.column(f)) if v is not None]
        in_best = [v for i, v in pooled if i in best]
        allowed = data.allowed.get(features[0], choices)
        for edge, value in (("top", max(choices)), ("bottom", min(choices))):
            beyond = sorted(v for v in allowed if (v > value if edge == "top" else v < value))
            if not beyond:
                continue
            at_edge = sum(v == value for _, v in pooled)
            k = sum(v == value for v in in_best)
            p = float(hypergeom.sf(k - 1, len(pooled), at_edge, len(in_best)))
            if in_best and p < alpha and k / len(in_best) >= 0.5:
                findings.append(
                    {
                        "knob": knob,
                        "edge": edge,
                        "value": value,
                        "share_best": k / len(in_best),
                        "share_all": at_edge / len(pooled),
                        "p": p,
                        "beyond": beyond,
                    }
                )
    return findings

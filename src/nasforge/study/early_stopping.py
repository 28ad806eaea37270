"""Early stopping of trials: a median rule over the intermediate values of finished trials,
taken as a `StopRule` snapshot when a trial is submitted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, get_args

import numpy as np

from nasforge.evaluators.stop_rule import StopRule
from nasforge.validation import check_choice, check_int

PrunerName = Literal["none", "median"]
PRUNERS: tuple[str, ...] = get_args(PrunerName)


def median_rule(
    metric: str,
    direction: str,
    curves: Sequence[Sequence[float]],
    *,
    min_trials: int = 5,
    warmup_steps: int = 1,
) -> StopRule | None:
    """The median rule over finished trials' `curves` of `metric`, or None with too few of them."""
    check_choice("direction", direction, ("maximize", "minimize"))
    check_int("min_trials", min_trials, minimum=1)
    if len(curves) < min_trials:
        return None
    longest = max((len(c) for c in curves), default=0)
    thresholds = {}
    for step in range(warmup_steps, longest):
        values = [c[step] for c in curves if len(c) > step]
        if len(values) >= min_trials:
            thresholds[step] = float(np.median(values))
    return StopRule(metric, direction, thresholds)

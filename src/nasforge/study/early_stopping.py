"""Early stopping of trials: a median rule over the intermediate values of finished trials,
taken as a `StopRule` snapshot when a trial is submitted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal, get_args

import numpy as np

from nasforge.evaluators.stop_rule import StopRule
from nasforge.validation import check_choice, check_int

PrunerName = Literal["none", "median"]
PRUNERS: tuple[str, ...] = get_args(PrunerName)


def median_rule(
    metric: str,
    direction: str,
    curves: Sequence[Mapping[int, float] | Sequence[float]],
    *,
    min_trials: int = 5,
    warmup_steps: int = 1,
) -> StopRule | None:
    """The median rule over finished trials' `curves` of `metric` (each a value by step, or a list
    from step 0), or None with too few of them: at each step, the median of the trials that
    reported that very step (as Optuna's intermediate values).

    Example:
        >>> median_rule("loss", "minimize", [{0: 1.0, 10: 0.5}] * 5).thresholds
        {10: 0.5}
    """
    check_choice("direction", direction, ("maximize", "minimize"))
    check_int("min_trials", min_trials, minimum=1)
    if len(curves) < min_trials:
        return None
    by_step = [c if isinstance(c, Mapping) else dict(enumerate(c)) for c in curves]
    thresholds = {}
    for step in sorted({s for c in by_step for s in c}):
        values = [c[step] for c in by_step if step in c]
        if step >= warmup_steps and len(values) >= min_trials:
            thresholds[step] = float(np.median(values))
    return StopRule(metric, direction, thresholds)

"""Early stopping of trials: a median rule over the intermediate values of finished trials.

A `StopRule` is a picklable snapshot (thresholds per step) taken when a trial is submitted, so it
works the same in-process, in a process pool or on a cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from nasforge.validation import check_choice, check_int

PRUNERS = ("none", "median")


@dataclass(frozen=True)
class StopRule:
    """Stop when `metric` at a step is worse than the median of earlier trials at that step.

    Example:
        >>> rule = StopRule("valid_accuracy", "maximize", {0: 0.5})
        >>> rule.should_stop(0, 0.4), rule.should_stop(0, 0.6), rule.should_stop(1, 0.0)
        (True, False, False)
    """

    metric: str
    direction: str
    thresholds: Mapping[int, float] = field(default_factory=dict)

    def should_stop(self, step: int, value: float) -> bool:
        """True when `value` at `step` falls behind the median."""
        threshold = self.thresholds.get(step)
        if threshold is None:
            return False
        return value < threshold if self.direction == "maximize" else value > threshold


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

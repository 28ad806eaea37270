"""`StopRule`: when an evaluation should stop early (the trial is then PRUNED).

A picklable snapshot (thresholds per step) that the study takes when it submits a trial, so it
works the same in-process, in a process pool or on a cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


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

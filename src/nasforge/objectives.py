"""Objectives (metric + direction), constraints (metric bounds) and Pareto dominance."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nasforge.errors import InvalidArgumentError
from nasforge.validation import check_choice

DIRECTIONS = ("maximize", "minimize")
SUPERNET_PREFIX = "supernet_"
_BOUND = re.compile(r"^\s*([\w./-]+)\s*(<=|>=)\s*([-+0-9.eE]+)\s*$")


def from_supernet(metric: str) -> bool:
    """Whether `metric` is a score on a shared-weight supernet (e.g. `supernet_valid_accuracy`).

    Example:
        >>> from_supernet("supernet_valid_accuracy"), from_supernet("valid_accuracy")
        (True, False)
    """
    return metric.startswith(SUPERNET_PREFIX)


@dataclass(frozen=True)
class Objective:
    """A metric to optimise and its direction.

    Example:
        >>> Objective("latency_ms", "minimize").oriented(2.0)
        -2.0
    """

    metric: str
    direction: str = "maximize"

    def __post_init__(self) -> None:
        check_choice("direction", self.direction, DIRECTIONS)

    def oriented(self, value: float) -> float:
        """`value` turned so that higher is better."""
        return value if self.direction == "maximize" else -value

    def to_dict(self) -> dict[str, str]:
        """JSON form."""
        return {"metric": self.metric, "direction": self.direction}


@dataclass(frozen=True)
class Constraint:
    """A bound on a metric: `minimum <= metric <= maximum` (either side may be open).

    Example:
        >>> c = Constraint.parse("params<=1e6")
        >>> c.satisfied({"params": 2e5}), c.satisfied({"params": 3e6})
        (True, False)
    """

    metric: str
    minimum: float | None = None
    maximum: float | None = None

    @classmethod
    def parse(cls, text: str) -> Constraint:
        """`"NAME<=VALUE"` or `"NAME>=VALUE"`."""
        match = _BOUND.match(text)
        if match is None:
            raise InvalidArgumentError(f"constraint must look like NAME<=VALUE or NAME>=VALUE, got {text!r}")
        name, op, number = match.groups()
        try:
            value = float(number)
        except ValueError:
            raise InvalidArgumentError(f"constraint {text!r}: {number!r} is not a number") from None
        return cls(name, maximum=value) if op == "<=" else cls(name, minimum=value)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Constraint:
        """Inverse of `to_dict`."""
        return cls(data["metric"], data.get("min"), data.get("max"))

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"metric": self.metric, "min": self.minimum, "max": self.maximum}

    def satisfied(self, metrics: Mapping[str, float]) -> bool:
        """True when the metric is known and within bounds."""
        value = metrics.get(self.metric)
        if value is None or not math.isfinite(value):
            return False
        return (self.minimum is None or value >= self.minimum) and (
            self.maximum is None or value <= self.maximum
        )

    def __str__(self) -> str:
        parts = [f"{self.metric}>={self.minimum:g}"] if self.minimum is not None else []
        if self.maximum is not None:
            parts.append(f"{self.metric}<={self.maximum:g}")
        return ", ".join(parts)


def make_objectives(metric: str | Sequence[str], direction: str | Sequence[str]) -> tuple[Objective, ...]:
    """One objective per metric; `direction` is one for all or one per metric."""
    metrics = [metric] if isinstance(metric, str) else list(metric)
    directions = [direction] * len(metrics) if isinstance(direction, str) else list(direction)
    if not metrics:
        raise InvalidArgumentError("objective must name at least one metric, got none")
    if len(directions) != len(metrics):
        raise InvalidArgumentError(
            f"direction must be one value or one per objective ({len(metrics)}), got {len(directions)}"
        )
    if len(set(metrics)) != len(metrics):
        raise InvalidArgumentError(f"objectives must be distinct metrics, got {metrics}")
    return tuple(Objective(m, d) for m, d in zip(metrics, directions, strict=True))


def make_constraints(constraints: Sequence[str | Constraint] | None) -> tuple[Constraint, ...]:
    """Constraints from text (`"params<=1e6"`) or `Constraint` objects."""
    return tuple(c if isinstance(c, Constraint) else Constraint.parse(c) for c in constraints or ())


def pareto_indices(points: Sequence[Sequence[float]]) -> list[int]:
    """Indices of the non-dominated oriented vectors (higher is better; equal vectors are kept
    together), in input order, by moocore.

    Example:
        >>> pareto_indices([(1, 1), (2, 0), (0, 0), (2, 0)])
        [0, 1, 3]
    """
    if not points:
        return []
    import moocore
    import numpy as np

    kept = moocore.is_nondominated(np.asarray(points, dtype=float), maximise=True, keep_weakly=True)
    return [int(i) for i in np.flatnonzero(kept)]

"""The metrics an evaluator declares: name, split, direction and unit, and checks against them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from nasforge.errors import InvalidArgumentError

SPLITS = ("train", "valid", "test", "none")


@dataclass(frozen=True)
class MetricSpec:
    """One metric an evaluator returns.

    Args:
        name: the metric's name in `Result.metrics`.
        split: the data it was measured on: train, valid, test, or none (not data-bound).
        direction: "maximize" or "minimize": which way is better.
        unit: "" for ratios and counts, else the unit (s, ms, bytes, MB, FLOPs, %).
    """

    name: str
    split: str = "none"
    direction: str = "maximize"
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


def specs(names: Iterable[str], split: str, direction: str, unit: str = "") -> list[MetricSpec]:
    """Several metrics that share split, direction and unit."""
    return [MetricSpec(n, split, direction, unit) for n in names]


def check_selectable(schema: Sequence[MetricSpec], metric: str, role: str = "objective") -> MetricSpec:
    """The spec of `metric` if a search may optimise or constrain it, else a clear error.

    Raises:
        InvalidArgumentError: `metric` is not declared (the message lists the known ones) or it is
            a test-split metric (test data is only for the final report).
    """
    by_name = {s.name: s for s in schema}
    if metric not in by_name:
        allowed = sorted(s.name for s in schema if s.split != "test")
        raise InvalidArgumentError(
            f"{role} must be a metric of the evaluator: {', '.join(allowed)}; got {metric!r}"
        )
    spec = by_name[metric]
    if spec.split == "test":
        valid = metric.replace("test", "valid", 1)
        hint = f" (use {valid!r})" if valid in by_name else ""
        raise InvalidArgumentError(
            f"{role} {metric!r} is measured on the test split, which only the final report may look at{hint}"
        )
    return spec

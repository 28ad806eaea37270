"""The domain of one knob of a define-by-run space: what values it takes, and the operations the
space derives from it (sampling, neighbours, a grid for knob-by-knob samplers, an encoding for
predictors and bits for the genetic algorithm)."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from nasforge.errors import InvalidGenotypeError

GRID = 16  # levels a range shows knob-by-knob samplers (TPE) and listings
LEVELS = 256  # values a range takes at most: every one codes into 8 bits, exactly


@dataclass(frozen=True)
class Domain:
    """Values of one knob, as a finite ordered set of levels (at most `LEVELS`). Subclasses:
    `Choice`, `Integer`, `Real`."""

    def levels(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def check(self, name: str, value: Any) -> Any:
        """`value` (normalised) if the knob may take it, else a clear `InvalidGenotypeError`."""
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def sample(self, rng: np.random.Generator) -> Any:
        """A uniformly drawn level (levels of a log range are spaced evenly in log)."""
        levels = self.levels()
        return levels[int(rng.integers(len(levels)))]

    def index(self, value: Any) -> int:
        """Position of `value` among the levels (the nearest one for a number between them)."""
        levels = self.levels()
        return int(np.argmin([abs(level - value) for level in levels]))

    def neighbors(self, value: Any) -> list[Any]:
        """The levels one step down and up (a sixteenth of the range for long ranges)."""
        levels = self.levels()
        i, stride = self.index(value), max(1, (len(levels) - 1) // (GRID - 1))
        steps = [max(0, i - stride), min(len(levels) - 1, i + stride)]
        return [levels[j] for j in dict.fromkeys(steps) if j != i]

    def grid(self) -> tuple[Any, ...]:
        """At most `GRID` levels spanning the domain, in order."""
        levels = self.levels()
        if len(levels) <= GRID:
            return levels
        return tuple(levels[round(i)] for i in np.linspace(0, len(levels) - 1, GRID))

    @property
    def bits(self) -> int:
        return max(1, math.ceil(math.log2(len(self.levels()))))

    def from_index(self, index: int) -> Any:
        levels = self.levels()
        return levels[index % len(levels)]

    def encode(self, value: Any) -> list[float]:
        """Fixed-length numbers for a predictor; all zeros when the knob is inactive (None)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Choice(Domain):
    """One of a few values (text, numbers, booleans, None): its keys when it maps names to objects."""

    values: tuple[Any, ...]

    def levels(self) -> tuple[Any, ...]:
        return self.values

    def check(self, name: str, value: Any) -> Any:
        for v in self.values:
            if same(v, value):
                return v
        raise InvalidGenotypeError(f"knob {name!r} must be one of {list(self.values)}, got {value!r}")

    def index(self, value: Any) -> int:
        return next(i for i, v in enumerate(self.values) if same(v, value))

    def neighbors(self, value: Any) -> list[Any]:
        return [v for v in self.values if not same(v, value)]

    def describe(self) -> str:
        return ", ".join(map(str, self.values))

    def encode(self, value: Any) -> list[float]:
        return [float(value is not None and same(v, value)) for v in self.values]


def same(a: Any, b: Any) -> bool:
    """Equal as knob values: True is not 1, and 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


@dataclass(frozen=True)
class Integer(Domain):
    """A whole number in [low, high] on a `step` grid, uniform or log-uniform."""

    low: int
    high: int
    step: int = 1
    log: bool = False

    @functools.cache  # noqa: B019 (frozen, hashable, few instances)
    def levels(self) -> tuple[Any, ...]:
        values = range(self.low, self.high + 1, self.step)
        if len(values) <= LEVELS and not self.log:
            return tuple(values)
        spread = (
            np.geomspace(self.low, self.high, LEVELS)
            if self.log
            else np.linspace(self.low, self.high, LEVELS)
        )
        return tuple(dict.fromkeys(self.low + round((v - self.low) / self.step) * self.step for v in spread))

    def check(self, name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not self.low <= value <= self.high:
            raise InvalidGenotypeError(
                f"knob {name!r} must be an integer in [{self.low}, {self.high}], got {value!r}"
            )
        if (value - self.low) % self.step:
            raise InvalidGenotypeError(
                f"knob {name!r} must be {self.low} plus a multiple of {self.step}, got {value!r}"
            )
        return value

    def describe(self) -> str:
        step = "" if self.step == 1 else f" step {self.step}"
        return f"{self.low}..{self.high}{step}{' log' if self.log else ''}"

    def encode(self, value: Any) -> list[float]:
        return [0.0, 0.0] if value is None else [1.0, _scaled(value, self.low, self.high, self.log)]


@dataclass(frozen=True)
class Real(Domain):
    """A number in [low, high], on a `step` grid if given, uniform or log-uniform; drawn among
    `LEVELS` levels (exactly codable in bits)."""

    low: float
    high: float
    step: float | None = None
    log: bool = False

    @functools.cache  # noqa: B019 (frozen, hashable, few instances)
    def levels(self) -> tuple[Any, ...]:
        if self.step is not None:
            count = round((self.high - self.low) / self.step) + 1
            if count <= LEVELS:
                return tuple(round(self.low + i * self.step, 12) for i in range(count))
        spread = (
            np.geomspace(self.low, self.high, LEVELS)
            if self.log
            else np.linspace(self.low, self.high, LEVELS)
        )
        return tuple(dict.fromkeys(float(f"{v:.10g}") for v in spread))

    def check(self, name: str, value: Any) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not self.low <= value <= self.high
        ):
            raise InvalidGenotypeError(
                f"knob {name!r} must be a number in [{self.low:g}, {self.high:g}], got {value!r}"
            )
        return float(value)

    def describe(self) -> str:
        step = "" if self.step is None else f" step {self.step:g}"
        return f"{self.low:g}..{self.high:g}{step}{' log' if self.log else ''}"

    def encode(self, value: Any) -> list[float]:
        return [0.0, 0.0] if value is None else [1.0, _scaled(value, self.low, self.high, self.log)]


def _scaled(value: float, low: float, high: float, log: bool) -> float:
    """`value` mapped to [0, 1] across the range (on a log scale for log ranges)."""
    if high == low:
        return 0.0
    if log:
        return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
    return (value - low) / (high - low)

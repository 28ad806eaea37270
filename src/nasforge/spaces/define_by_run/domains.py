"""The domain of one knob of a define-by-run space: what values it takes, and the operations the
space derives from it (sampling, neighbours, a grid for listings, an encoding for predictors,
bits for the genetic algorithm, and the matching Optuna distribution for TPE).

The semantics are Optuna's (`IntDistribution`, `FloatDistribution`, `CategoricalDistribution`):
`high` is clamped down to the `step` grid, `step` together with `log` is refused (a whole-number
range may keep its step of 1), and a float range without a step is continuous. Neighbours and bits
see a range through at most `LEVELS` evenly spaced levels (evenly in log for log ranges).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from nasforge.errors import InvalidArgumentError, InvalidGenotypeError

if TYPE_CHECKING:
    import optuna

GRID = 16  # levels a range shows in listings and steps its neighbours by
LEVELS = 256  # levels a range shows the genetic algorithm: every one codes into 8 bits, exactly


@dataclass(frozen=True)
class Domain:
    """Values of one knob. Subclasses: `Choice`, `Integer`, `Real`."""

    def levels(self) -> tuple[Any, ...]:
        """At most `LEVELS` values spanning the domain, in order (every value of a small domain)."""
        raise NotImplementedError

    def check(self, name: str, value: Any) -> Any:
        """`value` (normalised) if the knob may take it, else a clear `InvalidGenotypeError`."""
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def distribution(self) -> optuna.distributions.BaseDistribution:
        """The same domain as an Optuna distribution."""
        raise NotImplementedError

    def suggest(self, trial: optuna.Trial, name: str) -> Any:
        """The value an Optuna trial suggests for the knob `name`."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator) -> Any:
        """A value drawn from the domain as Optuna's random sampler would."""
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
        return [levels[j] for j in dict.fromkeys(steps) if levels[j] != value]

    def grid(self) -> tuple[Any, ...]:
        """At most `GRID` levels spanning the domain, in order (for listings and discovery)."""
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
        """`width` numbers for a predictor (the space adds whether the knob is active)."""
        raise NotImplementedError

    @property
    def width(self) -> int:
        """How many numbers `encode` gives: one for a range."""
        return 1


@dataclass(frozen=True)
class Choice(Domain):
    """One of a few values (text, numbers, booleans, None): its keys when it maps names to objects."""

    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        for i, a in enumerate(self.values):
            for b in self.values[:i]:
                if same(a, b):
                    raise InvalidArgumentError(
                        f"choices must be distinct, got {b!r} and {a!r} in {self.values!r}"
                    )

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

    def distribution(self) -> optuna.distributions.BaseDistribution:
        from optuna.distributions import CategoricalDistribution

        return CategoricalDistribution(self.values)

    def suggest(self, trial: optuna.Trial, name: str) -> Any:
        return trial.suggest_categorical(name, self.values)

    def encode(self, value: Any) -> list[float]:
        return [float(same(v, value)) for v in self.values]

    @property
    def width(self) -> int:
        return len(self.values)


def same(a: Any, b: Any) -> bool:
    """Equal as knob values: True is not 1, and 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if (a is None) != (b is None):
        return False
    return bool(a == b)


@dataclass(frozen=True)
class Integer(Domain):
    """A whole number in [low, high] on a `step` grid, uniform or log-uniform (make it with `of`)."""

    low: int
    high: int
    step: int = 1
    log: bool = False

    @classmethod
    def of(cls, name: str, low: Any, high: Any, step: Any = 1, log: bool = False) -> Integer:
        """The domain of `k.int(name, low, high, step=step, log=log)`, `high` clamped to the grid.

        Example:
            >>> Integer.of("units", 0, 1001, step=3).high
            999
        """
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high, step)):
            raise InvalidArgumentError(
                f"knob {name!r}: low, high and step must be whole numbers, "
                f"got {low!r}, {high!r}, step {step!r}"
            )
        _check_range(name, low, high, step, log)
        if log and step != 1:
            raise InvalidArgumentError(f"knob {name!r}: step {step} cannot go with log=True (as in Optuna)")
        return cls(low, low + (high - low) // step * step, step, log)

    @property
    def count(self) -> int:
        return (self.high - self.low) // self.step + 1

    @functools.cache  # noqa: B019 (frozen, hashable, few instances)
    def levels(self) -> tuple[Any, ...]:
        if self.count <= LEVELS and not self.log:
            return tuple(range(self.low, self.high + 1, self.step))
        spread = _spread(self.low, self.high, self.log)
        return tuple(dict.fromkeys(self.low + round((v - self.low) / self.step) * self.step for v in spread))

    def sample(self, rng: np.random.Generator) -> int:
        if self.log:  # as Optuna: log-uniform over [low - 0.5, high + 0.5], rounded
            drawn = math.exp(rng.uniform(math.log(self.low - 0.5), math.log(self.high + 0.5)))
            return min(max(round(drawn), self.low), self.high)
        return self.low + int(rng.integers(self.count)) * self.step

    def check(self, name: str, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, np.integer):
            value = int(value)
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

    def distribution(self) -> optuna.distributions.BaseDistribution:
        from optuna.distributions import IntDistribution

        return IntDistribution(self.low, self.high, log=self.log, step=self.step)

    def suggest(self, trial: optuna.Trial, name: str) -> int:
        return trial.suggest_int(name, self.low, self.high, step=self.step, log=self.log)

    def encode(self, value: Any) -> list[float]:
        return [_scaled(value, self.low, self.high, self.log)]


@dataclass(frozen=True)
class Real(Domain):
    """A number in [low, high], on a `step` grid if given (else continuous), uniform or
    log-uniform (make it with `of`)."""

    low: float
    high: float
    step: float | None = None
    log: bool = False

    @classmethod
    def of(cls, name: str, low: Any, high: Any, step: Any = None, log: bool = False) -> Real:
        """The domain of `k.float(name, low, high, step=step, log=log)`, `high` clamped to the grid.

        Example:
            >>> Real.of("x", 0.0, 1.0, step=0.6).levels()
            (0.0, 0.6)
        """
        numbers = (low, high) if step is None else (low, high, step)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers) or not all(
            math.isfinite(v) for v in numbers
        ):
            raise InvalidArgumentError(
                f"knob {name!r}: low, high and step must be finite numbers, "
                f"got {low!r}, {high!r}, step {step!r}"
            )
        _check_range(name, low, high, step, log)
        if log and step is not None:
            raise InvalidArgumentError(f"knob {name!r}: step {step} cannot go with log=True (as in Optuna)")
        if step is None:
            return cls(float(low), float(high), None, log)
        span, grid = Decimal(str(high)) - Decimal(str(low)), Decimal(str(step))
        return cls(float(low), float(Decimal(str(low)) + span // grid * grid), float(step), log)

    @property
    def count(self) -> int:
        """Values on the step grid (0 for a continuous range)."""
        return 0 if self.step is None else round((self.high - self.low) / self.step) + 1

    def _on_grid(self, i: int) -> float:
        assert self.step is not None
        return float(Decimal(str(self.low)) + i * Decimal(str(self.step)))

    @functools.cache  # noqa: B019 (frozen, hashable, few instances)
    def levels(self) -> tuple[Any, ...]:
        if self.step is not None:
            if self.count <= LEVELS:
                return tuple(self._on_grid(i) for i in range(self.count))
            return tuple(
                dict.fromkeys(self._on_grid(round(i)) for i in np.linspace(0, self.count - 1, LEVELS))
            )
        spread = (
            min(max(float(f"{v:.10g}"), self.low), self.high) for v in _spread(self.low, self.high, self.log)
        )
        return tuple(dict.fromkeys(spread))  # readable values, inside the range

    def sample(self, rng: np.random.Generator) -> float:
        if self.step is not None:
            return self._on_grid(int(rng.integers(self.count)))
        if self.log:
            return min(
                max(math.exp(rng.uniform(math.log(self.low), math.log(self.high))), self.low), self.high
            )
        return float(rng.uniform(self.low, self.high))

    def _inside(self, value: float) -> float:
        return min(max(value, self.low), self.high)

    def index(self, value: Any) -> int:
        if not self.log:
            return super().index(value)
        levels = np.log(np.array(self.levels()))
        return int(np.argmin(np.abs(levels - math.log(value))))

    def check(self, name: str, value: Any) -> float:
        if isinstance(value, np.floating | np.integer):
            value = float(value)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not self.low <= value <= self.high
        ):
            raise InvalidGenotypeError(
                f"knob {name!r} must be a number in [{self.low:g}, {self.high:g}], got {value!r}"
            )
        if self.step is not None:
            i = round((value - self.low) / self.step)
            if not math.isclose(self._on_grid(i), value, rel_tol=1e-9, abs_tol=1e-12):
                raise InvalidGenotypeError(
                    f"knob {name!r} must be {self.low:g} plus a multiple of {self.step:g}, got {value!r}"
                )
            return self._on_grid(i)
        return float(value)

    def describe(self) -> str:
        step = "" if self.step is None else f" step {self.step:g}"
        return f"{self.low:g}..{self.high:g}{step}{' log' if self.log else ''}"

    def distribution(self) -> optuna.distributions.BaseDistribution:
        from optuna.distributions import FloatDistribution

        return FloatDistribution(self.low, self.high, log=self.log, step=self.step)

    def suggest(self, trial: optuna.Trial, name: str) -> float:
        return trial.suggest_float(name, self.low, self.high, step=self.step, log=self.log)

    def encode(self, value: Any) -> list[float]:
        return [_scaled(value, self.low, self.high, self.log)]


def _check_range(name: str, low: float, high: float, step: float | None, log: bool) -> None:
    if not low <= high:
        raise InvalidArgumentError(f"knob {name!r}: needs low <= high, got low {low!r} and high {high!r}")
    if step is not None and not step > 0:
        raise InvalidArgumentError(f"knob {name!r}: step must be above 0, got {step!r}")
    if log and not low > 0:
        raise InvalidArgumentError(f"knob {name!r}: a log range needs low > 0, got {low!r}")


def _spread(low: float, high: float, log: bool) -> np.ndarray:
    return np.geomspace(low, high, LEVELS) if log else np.linspace(low, high, LEVELS)


def _scaled(value: float, low: float, high: float, log: bool) -> float:
    """`value` mapped to [0, 1] across the range (on a log scale for log ranges)."""
    if high == low:
        return 0.0
    if log:
        return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))
    return (value - low) / (high - low)

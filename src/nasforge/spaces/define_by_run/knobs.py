"""`Knobs`: what a define-by-run function asks for its choices, one call per knob, where it needs it.

A trace runs the function once: each knob it asks for is taken from the values given (a
genotype's), or drawn where none is given (a new branch that a mutation or crossover opened);
knobs on branches not taken are not asked for, so they are not part of the architecture.
"""

from __future__ import annotations

import builtins
import copy
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from nasforge.errors import InvalidArgumentError, InvalidGenotypeError
from nasforge.spaces.define_by_run.domains import Choice, Domain, Integer, Real

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-\[\]]*$")
SCALARS = (str, int, float, bool, type(None))


class Knobs:
    """The knob API of a define-by-run function (`k` in the examples).

    Example:
        >>> k = Knobs({"depth": 3}, rng=np.random.default_rng(0))
        >>> widths = [k.choice(f"l{i}.width", [16, 32]) for i in k.range("depth", 1, 4)]
        >>> len(widths), set(widths) <= {16, 32}
        (3, True)
        >>> sorted(k.values)
        ['depth', 'l0.width', 'l1.width', 'l2.width']
    """

    def __init__(
        self,
        assigned: Mapping[str, Any] | None = None,
        *,
        rng: np.random.Generator | None = None,
        draw: Callable[[str, Domain], Any] | None = None,
        tracing: bool = False,
    ) -> None:
        self.assigned = dict(assigned or {})
        self.tracing = tracing  # only the knobs are wanted: a function may return before building
        # How a knob without a value is chosen: drawn with `rng`, or by `draw(name, domain)` (an
        # Optuna trial's suggestion); with neither, every knob must be assigned (a genotype replayed).
        self.draw = draw if draw is not None else None if rng is None else _sampler(rng)
        self.values: dict[str, Any] = {}  # the knobs asked for, in order, with their values
        self.domains: dict[str, Domain] = {}

    def choice(self, name: str, values: Sequence[Any] | Mapping[str, Any]) -> Any:
        """One of `values` (text, numbers, booleans, None); with a mapping of names to objects
        (modules, classes, functions), the object of the chosen name (a copy: models built from
        one genotype never share a module)."""
        if isinstance(values, Mapping):
            if not values or not all(isinstance(key, str) for key in values):
                raise InvalidArgumentError(
                    f"knob {name!r}: a mapping needs at least one text key, got {values!r}"
                )
            return copy.deepcopy(values[self._ask(name, Choice(tuple(values)))])
        options = tuple(values)
        if not options or not all(isinstance(v, SCALARS) for v in options):
            raise InvalidArgumentError(
                f"knob {name!r}: choices must be text, numbers, booleans or None, got {list(options)!r}"
            )
        try:
            domain = Choice(options)
        except InvalidArgumentError as exc:
            raise InvalidArgumentError(f"knob {name!r}: {exc}") from None
        return self._ask(name, domain)

    def int(
        self,
        name: str,
        low: builtins.int,
        high: builtins.int,
        *,
        step: builtins.int = 1,
        log: builtins.bool = False,
    ) -> builtins.int:
        """A whole number in [low, high] on a `step` grid (`high` clamped to it), or log-uniform
        with `log` (step 1 only), as Optuna's `trial.suggest_int`."""
        return int(self._ask(name, Integer.of(name, low, high, step, log)))

    def float(
        self,
        name: str,
        low: builtins.float,
        high: builtins.float,
        *,
        step: builtins.float | None = None,
        log: builtins.bool = False,
    ) -> builtins.float:
        """A number in [low, high]: continuous, on a `step` grid if given (`high` clamped to it), or
        log-uniform with `log` (no step), as Optuna's `trial.suggest_float`."""
        return float(self._ask(name, Real.of(name, low, high, step, log)))

    def bool(self, name: str) -> builtins.bool:
        """True or False."""
        return bool(self._ask(name, Choice((False, True))))

    def range(self, name: str, low: builtins.int, high: builtins.int) -> builtins.range:
        """`range(n)` for a knob `n` in [low, high]: a variable number of repeats (blocks, layers)."""
        return range(self.int(name, low, high))

    def _ask(self, name: str, domain: Domain) -> Any:
        if not isinstance(name, str) or not NAME.match(name):
            raise InvalidArgumentError(
                "a knob name must be letters, digits, '_', '.', '-' or brackets, starting with a letter; "
                f"got {name!r}"
            )
        if name in self.values:
            raise InvalidArgumentError(
                f"knob {name!r} is asked for twice in one build; give each knob its own name"
            )
        self.domains[name] = domain
        if name in self.assigned:
            value = domain.check(name, self.assigned[name])
        elif self.draw is None:
            raise InvalidGenotypeError(f"knob {name!r} has no value in the genotype")
        else:
            value = domain.check(name, self.draw(name, domain))
        self.values[name] = value
        return value


def _sampler(rng: np.random.Generator) -> Callable[[str, Domain], Any]:
    return lambda name, domain: domain.sample(rng)

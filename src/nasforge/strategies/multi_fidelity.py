"""What multi-fidelity strategies share: the rungs (fidelities) and the sampler of new architectures."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any, ClassVar

from nasforge.errors import InvalidArgumentError
from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.strategies.base import Strategy
from nasforge.trial import Trial
from nasforge.validation import check_int


def ladder(
    fidelities: Sequence[float] | None,
    min_fidelity: float | None,
    max_fidelity: float | None,
    eta: int,
    space: SearchSpace,
) -> tuple[float, ...]:
    """The rungs, lowest first: `fidelities` as given; else `max_fidelity` divided by eta, eta², …
    down to `min_fidelity` (default 1), rounded to whole epochs; without either, the fidelities the
    space declares (the NB201 table's 12 and 200 epochs on the NB201 space), else 1, 3, 9, 27.

    Example:
        >>> from nasforge.spaces import MacroSpace
        >>> ladder(None, None, 50, 3, MacroSpace())
        (2.0, 6.0, 17.0, 50.0)
    """
    if fidelities is not None:
        rungs = tuple(float(f) for f in fidelities)
        if len(rungs) < 2 or any(not b > a for a, b in itertools.pairwise(rungs)) or rungs[0] <= 0:
            raise InvalidArgumentError(
                f"fidelities must be at least two increasing positive values, got {list(fidelities)}"
            )
        return rungs
    if max_fidelity is None:
        if space.fidelities is not None and min_fidelity is None:
            return space.fidelities
        max_fidelity = 27.0
    low = 1.0 if min_fidelity is None else float(min_fidelity)
    if not 0 < low < max_fidelity:
        raise InvalidArgumentError(
            f"min_fidelity must be > 0 and below max_fidelity {max_fidelity:g}, got {low:g}"
        )
    steps = math.floor(math.log(max_fidelity / low, eta) + 1e-9)
    derived = sorted({float(max(1, round(max_fidelity / eta**k))) for k in range(steps + 1)})
    if len(derived) < 2:
        raise InvalidArgumentError(
            f"max_fidelity {max_fidelity:g} / eta {eta} gives a single rung; raise max_fidelity or lower eta"
        )
    return tuple(derived)


class MultiFidelityStrategy(Strategy):
    """Base of successive halving, Hyperband and ASHA: new architectures come from a `base`
    strategy, which learns from the results at the lowest rung (results at one fidelity, so
    comparable; a Hyperband bracket that starts higher teaches it nothing); the subclass
    decides fidelities and promotions (`_propose`) and sets up its own state in `_start`. A
    promoted architecture is asked again at the next rung, where the study continues it from
    its checkpoint when it keeps them.

    Args:
        eta: keep the best 1/eta of each rung (and rungs grow by eta when derived).
        fidelities: the rungs, lowest first (e.g. epochs `[1, 3, 9]`); default from the others.
        min_fidelity: lowest rung when derived (default 1).
        max_fidelity: highest rung (default: the space's highest declared fidelity, else 27).
        base: the strategy that proposes new architectures (default `default_base`).
        seed: random seed.
    """

    multi_fidelity = True
    default_base: ClassVar[str] = "random"

    def __init__(
        self,
        space: SearchSpace,
        *,
        eta: int = 3,
        fidelities: Sequence[float] | None = None,
        min_fidelity: float | None = None,
        max_fidelity: float | None = None,
        base: str | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(space, seed=seed)
        self.eta = check_int("eta", eta, minimum=2)
        self.fidelities = None if fidelities is None else [float(f) for f in fidelities]
        self.min_fidelity, self.max_fidelity = min_fidelity, max_fidelity
        self.rungs = ladder(fidelities, min_fidelity, max_fidelity, self.eta, space)
        base = self.default_base if base is None else base
        from nasforge.strategies import STRATEGIES, make_strategy  # the registry imports this module

        if STRATEGIES.get(base).multi_fidelity:
            raise InvalidArgumentError(f"base must be a single-fidelity strategy, got {base!r}")
        self.base = base
        self.sampler = make_strategy(base, space, seed=seed)
        self._told_base: set[str] = set()
        self.scores: list[dict[str, float]] = [{} for _ in self.rungs]  # rung -> key -> score
        self.genotypes: dict[str, Genotype] = {}
        self._start()

    def _start(self) -> None:
        """Set up the subclass's own state (called at the end of `__init__`)."""

    def set_objectives(self, directions: tuple[str, ...]) -> None:
        super().set_objectives(directions)
        self.sampler.set_objectives(directions)

    def warm_start(self, genotypes: list[Genotype]) -> None:
        self.sampler.warm_start(genotypes)

    def config(self) -> dict[str, Any]:
        out = super().config()
        out["params"]["fidelities"] = self.fidelities
        return out

    def sample_new(self) -> Genotype:
        """A new architecture from the base strategy, never asked before at any rung."""
        for _ in range(50):
            genotype = self.sampler.ask(1)[0].genotype
            if all(self.is_new(genotype, rung) for rung in self.rungs):
                return genotype
        return self.random_new(self.rungs[0])

    def rung_of(self, trial: Trial) -> int | None:
        """The rung a trial ran at (None for a fidelity off the ladder)."""
        fidelity = self.rungs[-1] if trial.fidelity is None else float(trial.fidelity)
        return self.rungs.index(fidelity) if fidelity in self.rungs else None

    def _observe(self, trial: Trial) -> None:
        self.genotypes.setdefault(trial.key, trial.genotype)
        rung = self.rung_of(trial)
        if rung == 0 and trial.key not in self._told_base:  # comparable results only
            self._told_base.add(trial.key)
            self.sampler.tell(trial)
        if rung is not None:
            self.scores[rung][trial.key] = -math.inf if trial.score is None else trial.score

"""Asynchronous successive halving (ASHA, Li et al., 2020): promote as soon as a trial is in its
rung's top 1/eta, else start a new architecture at the lowest rung."""

from __future__ import annotations

from collections.abc import Sequence

from nasforge.spaces.base import SearchSpace
from nasforge.strategies.multi_fidelity import MultiFidelityStrategy
from nasforge.trial import Candidate


class ASHA(MultiFidelityStrategy):
    """Asynchronous successive halving: never waits for a rung to fill, so every worker stays busy.

    Args:
        eta: keep the best 1/eta of each rung (and rungs grow by eta when derived).
        fidelities: the rungs, lowest first (e.g. epochs `[1, 3, 9]`); default from the others.
        min_fidelity: lowest rung when derived (default 1).
        max_fidelity: highest rung (default: NB201 table's 200 on the NB201 space, else 27).
        base: the strategy that proposes new architectures (default `random`).
        seed: random seed.

    Example:
        >>> from nasforge.spaces import NB201Space
        >>> [c.fidelity for c in ASHA(NB201Space()).ask(2)]
        [12.0, 12.0]
    """

    name = "asha"

    def __init__(
        self,
        space: SearchSpace,
        *,
        eta: int = 3,
        fidelities: Sequence[float] | None = None,
        min_fidelity: float | None = None,
        max_fidelity: float | None = None,
        base: str = "random",
        seed: int = 0,
    ) -> None:
        super().__init__(
            space,
            eta=eta,
            fidelities=fidelities,
            min_fidelity=min_fidelity,
            max_fidelity=max_fidelity,
            base=base,
            seed=seed,
        )
        self._promoted: list[set[str]] = [set() for _ in self.rungs]

    def _propose(self) -> Candidate:
        for rung in reversed(range(len(self.rungs) - 1)):
            quota = len(self.scores[rung]) // self.eta
            for key in self.best_of(rung, quota, self._promoted[rung]):
                self._promoted[rung].add(key)
                return Candidate(self.genotypes[key], self.rungs[rung + 1])
        return Candidate(self.sample_new(), self.rungs[0])

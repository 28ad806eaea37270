"""Asynchronous successive halving (ASHA, Li et al., 2020): promote as soon as a trial is in its
rung's top 1/eta, else start a new architecture at the lowest rung."""

from __future__ import annotations

import math

from nasforge.strategies.multi_fidelity import MultiFidelityStrategy
from nasforge.trial import Candidate


class ASHA(MultiFidelityStrategy):
    """Asynchronous successive halving: never waits for a rung to fill, so every worker stays busy.

    Takes the arguments of `MultiFidelityStrategy` (`eta`, `fidelities`, `min_fidelity`,
    `max_fidelity`, `base`, `seed`); new architectures come from random search by default.

    Example:
        >>> from nasforge.spaces import NB201Space
        >>> [c.fidelity for c in ASHA(NB201Space()).ask(2)]
        [12.0, 12.0]
    """

    name = "asha"

    def _start(self) -> None:
        self._promoted: list[set[str]] = [set() for _ in self.rungs]

    def _propose(self) -> Candidate:
        for rung in reversed(range(len(self.rungs) - 1)):
            quota = len(self.scores[rung]) // self.eta
            for key in self.best_of(rung, quota, self._promoted[rung]):
                self._promoted[rung].add(key)
                return Candidate(self.genotypes[key], self.rungs[rung + 1])
        return Candidate(self.sample_new(), self.rungs[0])

    def best_of(self, rung: int, k: int, exclude: set[str]) -> list[str]:
        """The `k` best architectures at `rung` by score (ties: earlier first), less `exclude`."""
        ranked = sorted(self.scores[rung].items(), key=lambda item: -item[1])[:k]
        return [key for key, score in ranked if key not in exclude and score > -math.inf]

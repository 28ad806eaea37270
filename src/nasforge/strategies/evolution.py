"""Regularized evolution (Real et al., 2019): tournament parents, mutation, oldest member dies."""

from __future__ import annotations

from collections import deque

from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.strategies.base import Strategy
from nasforge.trial import Candidate, Trial
from nasforge.validation import check_int


class RegularizedEvolution(Strategy):
    """Aging evolution: mutate the best of a random sample; the oldest member leaves.

    Args:
        population_size: members kept alive (the first this many candidates are random).
        sample_size: members drawn for each parent tournament (default: half the population).
        seed: random seed.

    Example:
        >>> from nasforge.spaces import NB201Space
        >>> RegularizedEvolution(NB201Space(), population_size=10, sample_size=3).ask(1)[0].fidelity
    """

    name = "evolution"
    weighs_feasibility = True  # a tournament: feasible members beat infeasible ones, then by score

    def __init__(
        self,
        space: SearchSpace,
        *,
        population_size: int = 20,
        sample_size: int | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(space, seed=seed)
        self.population_size = check_int("population_size", population_size, minimum=2)
        if sample_size is None:
            sample_size = self.population_size // 2
        self.sample_size = check_int("sample_size", sample_size, minimum=1, maximum=self.population_size)
        self._population: deque[tuple[Genotype, tuple[bool, float]]] = deque(maxlen=self.population_size)
        self._asked = 0

    def _propose(self) -> Candidate:
        self._asked += 1
        if self._asked <= self.population_size or len(self._population) < self.sample_size:
            return Candidate(self.random_new())
        picks = self.rng.choice(len(self._population), size=self.sample_size, replace=False)
        parent = max((self._population[i] for i in picks), key=lambda member: member[1])[0]
        return Candidate(self.new_mutant(parent))

    def _observe(self, trial: Trial) -> None:
        if trial.score is not None:
            self._population.append((trial.genotype, (trial.feasible is not False, trial.score)))

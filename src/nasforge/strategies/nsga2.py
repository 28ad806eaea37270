"""NSGA-II (Deb et al., 2002): multi-objective evolution by non-dominated sorting and crowding.

The population (steady state: each finished trial joins it and the worst member leaves) is the
best `population_size` trials so far, ranked by constrained domination
(feasible before infeasible, then Pareto rank) and, within a rank, by crowding distance; each
child comes from two binary-tournament parents, the space's own crossover (with probability
`crossover_prob`) and mutation. Objectives and their directions are the study's.
"""

from __future__ import annotations

import moocore
import numpy as np

from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.strategies.base import Strategy
from nasforge.trial import Candidate, Trial
from nasforge.validation import check_float, check_int


def non_dominated_ranks(points: list[list[float]]) -> list[int]:
    """Pareto rank of every oriented point (0: the front; equal points share a rank), by
    moocore's non-dominated sorting.

    Example:
        >>> non_dominated_ranks([[1, 1], [2, 0], [0, 0], [1, 1]])
        [0, 0, 1, 0]
    """
    if not points:
        return []
    return [int(r) for r in moocore.pareto_rank(np.asarray(points, dtype=float), maximise=True)]


def crowding(points: list[list[float]]) -> list[float]:
    """Crowding distance of points of one rank (infinite at the ends of every objective)."""
    n = len(points)
    if n <= 2:
        return [float("inf")] * n
    values = np.array(points, dtype=float)
    distance = np.zeros(n)
    for m in range(values.shape[1]):
        order = np.argsort(values[:, m])
        span = values[order[-1], m] - values[order[0], m]
        distance[order[0]] = distance[order[-1]] = np.inf
        if span > 0:
            distance[order[1:-1]] += (values[order[2:], m] - values[order[:-2], m]) / span
    return distance.tolist()


class NSGA2(Strategy):
    """NSGA-II over the study's objectives (two or three metrics, e.g. accuracy and latency).

    Args:
        population_size: members kept (the first this many candidates are random).
        crossover_prob: chance that a child mixes two parents (else it mutates one).
        seed: random seed.

    Example:
        >>> from nasforge.spaces import NB201Space
        >>> NSGA2(NB201Space(), population_size=10).ask(1)[0].fidelity
    """

    name = "nsga2"
    multi_objective = True
    weighs_feasibility = True

    def __init__(
        self, space: SearchSpace, *, population_size: int = 20, crossover_prob: float = 0.9, seed: int = 0
    ) -> None:
        super().__init__(space, seed=seed)
        self.population_size = check_int("population_size", population_size, minimum=2)
        self.crossover_prob = check_float("crossover_prob", crossover_prob, minimum=0.0, maximum=1.0)
        self._members: list[tuple[Genotype, list[float], bool]] = []  # the population, evaluated
        self._population: list[tuple[Genotype, int, float]] = []  # genotype, rank, crowding
        self._asked = 0

    def _propose(self) -> Candidate:
        self._asked += 1
        if self._asked <= self.population_size or len(self._population) < 2:
            return Candidate(self.random_new())
        child = self._tournament()
        if self.rng.random() < self.crossover_prob:
            child = self.space.crossover(child, self._tournament(), self.rng)
        return Candidate(self.new_mutant(child))

    def _tournament(self) -> Genotype:
        a, b = self.rng.choice(len(self._population), size=2, replace=False)
        (ga, ra, ca), (gb, rb, cb) = self._population[a], self._population[b]
        return ga if (ra, -ca) <= (rb, -cb) else gb

    def _observe(self, trial: Trial) -> None:
        values = self.oriented(trial)
        if values is None:
            return
        self._members.append((trial.genotype, values, trial.feasible is not False))
        self._population = self._select()
        kept = {id(g) for g, _, _ in self._population}
        self._members = [m for m in self._members if id(m[0]) in kept]

    def _select(self) -> list[tuple[Genotype, int, float]]:
        """The best `population_size` members and newcomer: feasible first, then rank, then crowding."""
        chosen: list[tuple[Genotype, int, float]] = []
        offset = 0
        for feasible in (True, False):
            group = [(g, v) for g, v, ok in self._members if ok is feasible]
            if not group:
                continue
            ranks = non_dominated_ranks([v for _, v in group])
            for rank in range(max(ranks) + 1):
                members = [group[i] for i in range(len(group)) if ranks[i] == rank]
                distances = crowding([v for _, v in members])
                ordered = sorted(zip(members, distances, strict=True), key=lambda md: -md[1])
                chosen += [(g, offset + rank, d) for (g, _), d in ordered]
                if len(chosen) >= self.population_size:
                    return chosen[: self.population_size]
            offset += max(ranks) + 1
        return chosen

"""Genetic algorithm over the space's binary encoding: tournaments, crossover, bit flips, elitism."""

from __future__ import annotations

import math

import numpy as np

from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.strategies.base import Strategy
from nasforge.trial import Candidate, Trial
from nasforge.validation import check_choice, check_float, check_int

Member = tuple[Genotype, float]


class GeneticAlgorithm(Strategy):
    """Generational GA on bit strings (`space.to_bits` / `space.from_bits`, which repairs bits).

    Generation 0 is random. Each later child comes from two tournament winners of the current
    population, crossed over (one-point or uniform) and bit-flip mutated; a child already
    evaluated is mutated further until new. When a generation's children are all scored, the
    next population is the `elitism` best of the old one plus the best children.

    Args:
        population_size: members per generation.
        tournament_size: members drawn per parent tournament.
        crossover: "uniform" or "one_point".
        crossover_rate: probability that a child is a crossover (else a copy of one parent).
        mutation_rate: per-bit flip probability; default 1 / bit_length.
        elitism: best members carried unchanged into the next population.
        seed: random seed.

    Example:
        >>> from nasforge.spaces import NB201Space
        >>> len(GeneticAlgorithm(NB201Space(), crossover="one_point").ask(4))
        4
    """

    name = "genetic"

    def __init__(
        self,
        space: SearchSpace,
        *,
        population_size: int = 20,
        tournament_size: int = 3,
        crossover: str = "uniform",
        crossover_rate: float = 0.9,
        mutation_rate: float | None = None,
        elitism: int = 2,
        seed: int = 0,
    ) -> None:
        super().__init__(space, seed=seed)
        self.population_size = check_int("population_size", population_size, minimum=2)
        self.tournament_size = check_int(
            "tournament_size", tournament_size, minimum=1, maximum=self.population_size
        )
        self.crossover = check_choice("crossover", crossover, ("uniform", "one_point"))
        self.crossover_rate = check_float("crossover_rate", crossover_rate, minimum=0.0, maximum=1.0)
        self.mutation_rate = (
            None
            if mutation_rate is None
            else check_float("mutation_rate", mutation_rate, minimum=0.0, maximum=1.0)
        )
        self.elitism = check_int("elitism", elitism, minimum=0, maximum=self.population_size - 1)
        self._population: list[Member] = []
        self._children: list[Member] = []

    def _propose(self) -> Candidate:
        if not self._population:
            return Candidate(self.random_new())
        child = self.space.from_bits(self._breed(), self.rng)
        return Candidate(child if self.is_new(child) else self.new_mutant(child))

    def _observe(self, trial: Trial) -> None:
        score = -math.inf if trial.score is None else trial.score
        self._children.append((trial.genotype, score))
        quota = self.population_size - (self.elitism if self._population else 0)
        if len(self._children) >= quota:
            elites = sorted(self._population, key=lambda m: m[1], reverse=True)[: self.elitism]
            best_children = sorted(self._children, key=lambda m: m[1], reverse=True)[:quota]
            self._population = elites + best_children
            self._children = []

    def _breed(self) -> np.ndarray:
        a, b = self.space.to_bits(self._tournament()), self.space.to_bits(self._tournament())
        if self.rng.random() < self.crossover_rate:
            if self.crossover == "uniform":
                a = np.where(self.rng.random(a.size) < 0.5, a, b)
            else:
                point = int(self.rng.integers(1, a.size))
                a = np.concatenate([a[:point], b[point:]])
        rate = self.mutation_rate if self.mutation_rate is not None else 1.0 / a.size
        return a ^ (self.rng.random(a.size) < rate)

    def _tournament(self) -> Genotype:
        picks = self.rng.choice(len(self._population), size=self.tournament_size, replace=False)
        return max((self._population[i] for i in picks), key=lambda m: m[1])[0]

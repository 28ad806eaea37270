"""`Strategy`: ask/tell search over a space. It never trains, queries or stores anything."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np

from nasforge._registry import init_params
from nasforge.errors import SpaceExhaustedError
from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.trial import Candidate, Trial
from nasforge.validation import check_int

MAX_SAMPLE_TRIES = 10_000
QUICK_SAMPLE_TRIES = 200


class Strategy(ABC):
    """Base class of every search strategy.

    Subclasses take keyword-only hyperparameters (stored as attributes of the same name) plus
    `seed`, draw randomness only from `self.rng`, and implement `_propose` and `_observe`. The
    base class guarantees that no architecture (by `space.key`) is asked for twice at the same
    fidelity (it may be asked again at another one: a promotion), and that
    `ask(n)` equals `n` calls of `ask(1)`, so a study can rebuild the state by replaying its trials.
    """

    name: ClassVar[str]
    multi_fidelity: ClassVar[bool] = False  # True: it asks for fidelities and promotes by itself
    # Made for several objectives (NSGA-II); with one, it ranks by that one alone, as Optuna's does.
    multi_objective: ClassVar[bool] = False
    weighs_feasibility: ClassVar[bool] = False  # True: it ranks infeasible trials itself (see `tell`)

    def __init__(self, space: SearchSpace, *, seed: int = 0) -> None:
        self.space = space
        self.seed = check_int("seed", seed, minimum=0)
        self.rng = np.random.default_rng(seed)
        self._seen: set[tuple[str, float | None]] = set()
        self._catalog: list[tuple[Genotype, str]] | None = None
        self._warm: list[Genotype] = []
        self.directions: tuple[str, ...] = ("maximize",)

    def set_objectives(self, directions: tuple[str, ...]) -> None:
        """The study's objective directions, in order (a study calls this before the first ask);
        multi-objective strategies read trials' `values` with them (see `oriented`)."""
        self.directions = tuple(directions)

    def oriented(self, trial: Trial) -> list[float] | None:
        """The trial's objective values turned so that higher is better; None without all of them."""
        values = trial.values
        if trial.score is None or values is None or len(values) != len(self.directions):
            return None
        return [v if d == "maximize" else -v for v, d in zip(values, self.directions, strict=True)]

    def config(self) -> dict[str, Any]:
        """Name, seed and hyperparameters: enough to rebuild this strategy."""
        params = {k: v for k, v in init_params(self).items() if k != "seed"}
        return {"name": self.name, "seed": self.seed, "params": params}

    def ask(self, n: int = 1) -> list[Candidate]:
        """`n` new candidates, none evaluated (or asked for) before."""
        check_int("n", n, minimum=1)
        candidates = []
        for _ in range(n):
            candidate = self._propose()
            if not self.is_new(candidate.genotype, candidate.fidelity):
                candidate = Candidate(self.random_new(candidate.fidelity), candidate.fidelity)
            self._seen.add((self.space.key(candidate.genotype), candidate.fidelity))
            candidates.append(candidate)
        return candidates

    def tell(self, trial: Trial) -> None:
        """Feed back a finished trial (`trial.score` is None when it failed). A trial that breaks
        one of the study's constraints (`feasible` False) is told as a failure unless the strategy
        weighs feasibility itself (`weighs_feasibility`): a strategy that compares scores alone
        would otherwise breed from, move to or model the infeasible region it ranks well."""
        if trial.feasible is False and not self.weighs_feasibility:
            trial = dataclasses.replace(trial, score=None)
        self._observe(trial)

    def mark_seen(self, genotype: Genotype, fidelity: float | None = None) -> None:
        """Never ask for `genotype` at `fidelity`: the study evaluates it anyway (enqueued)."""
        self._seen.add((self.space.key(genotype), fidelity))

    def is_new(self, genotype: Genotype, fidelity: float | None = None) -> bool:
        """True if no architecture with the same key was asked for yet at `fidelity`."""
        return (self.space.key(genotype), fidelity) not in self._seen

    def warm_start(self, genotypes: list[Genotype]) -> None:
        """Serve these (e.g. a zero-cost warm-up's best) first wherever the strategy would sample
        at random: the initial population of evolution, the starts of local search, and so on."""
        self._warm = list(reversed(genotypes))

    def next_warm(self, fidelity: float | None = None) -> Genotype | None:
        """The next warm-start architecture not asked for yet (None: none left)."""
        while self._warm:
            genotype = self._warm.pop()
            if self.is_new(genotype, fidelity):
                return genotype
        return None

    def random_new(self, fidelity: float | None = None) -> Genotype:
        """A random architecture not asked for yet (warm-start architectures first).

        Rejection sampling first; in a space that can be listed, a draw among the unseen ones
        once sampling keeps hitting seen architectures.
        """
        warm = self.next_warm(fidelity)
        if warm is not None:
            return warm
        finite = self.space.enumerate() is not None
        for _ in range(QUICK_SAMPLE_TRIES if finite else MAX_SAMPLE_TRIES):
            genotype = self.space.sample(self.rng)
            if self.is_new(genotype, fidelity):
                return genotype
        if finite:
            if self._catalog is None:
                self._catalog = [(g, self.space.key(g)) for g in self.space.enumerate() or ()]
            unseen = [g for g, key in self._catalog if (key, fidelity) not in self._seen]
            if unseen:
                return unseen[int(self.rng.integers(len(unseen)))]
        raise SpaceExhaustedError(f"no architecture left that was not evaluated ({len(self._seen)} seen)")

    def new_mutant(self, genotype: Genotype, tries: int = 20) -> Genotype:
        """A mutation of `genotype` not asked for yet; a random new one if mutation keeps repeating."""
        child = genotype
        for _ in range(tries):
            child = self.space.mutate(child, self.rng)
            if self.is_new(child):
                return child
        return self.random_new()

    @abstractmethod
    def _propose(self) -> Candidate:
        """The next candidate (the base class replaces it by a random new one if already seen)."""

    @abstractmethod
    def _observe(self, trial: Trial) -> None:
        """Update the state with a finished trial."""

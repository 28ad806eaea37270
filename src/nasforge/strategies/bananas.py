"""BANANAS-style predictor-based search (White et al., 2021): an ensemble of small neural
networks predicts the objective from the space's encoding; candidates come from mutating the best
architectures so far, and the acquisition function picks the next one to evaluate.

Acquisition: independent Thompson sampling (`its`: one draw per candidate from a normal with the
ensemble's mean and spread) or an upper confidence bound (`ucb`: mean + `beta` × spread).
"""

from __future__ import annotations

import numpy as np

from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.strategies.base import Strategy
from nasforge.strategies.ensemble_mlp import EnsembleMLP
from nasforge.trial import Candidate, Trial
from nasforge.validation import check_choice, check_float, check_int

ACQUISITIONS = ("its", "ucb")
REFIT_SHARE = 10  # refit once the data grew by a tenth (after every new trial up to 20 trials)


class Bananas(Strategy):
    """Predictor-guided search: an ensemble of MLPs on `space.encode`, mutation candidates.

    Args:
        initial: random architectures before the predictor is used.
        ensemble: number of MLPs (each with its own initialisation).
        candidates: mutations of the best architectures scored per ask.
        top: how many of the best architectures are mutated.
        acquisition: "its" (independent Thompson sampling) or "ucb".
        beta: UCB's weight on the ensemble's spread.
        seed: random seed.

    Example:
        >>> from nasforge.spaces import NB201Space
        >>> len(Bananas(NB201Space(), initial=5).ask(2))
        2
    """

    name = "bananas"

    def __init__(
        self,
        space: SearchSpace,
        *,
        initial: int = 10,
        ensemble: int = 5,
        candidates: int = 100,
        top: int = 10,
        acquisition: str = "its",
        beta: float = 0.5,
        seed: int = 0,
    ) -> None:
        super().__init__(space, seed=seed)
        self.initial = check_int("initial", initial, minimum=2)
        self.ensemble = check_int("ensemble", ensemble, minimum=1)
        self.candidates = check_int("candidates", candidates, minimum=1)
        self.top = check_int("top", top, minimum=1)
        self.acquisition = check_choice("acquisition", acquisition, ACQUISITIONS)
        self.beta = check_float("beta", beta, minimum=0.0)
        self._data: list[tuple[Genotype, float]] = []
        self._asked = 0
        self._model: EnsembleMLP | None = None
        self._fitted_on = 0

    def _propose(self) -> Candidate:
        self._asked += 1
        if self._asked <= self.initial or len(self._data) < self.initial:
            return Candidate(self.random_new())
        pool = self._pool()
        mean, spread = self._predict(pool)
        if self.acquisition == "ucb":
            score = mean + self.beta * spread
        else:
            score = self.rng.normal(mean, np.maximum(spread, 1e-9))
        return Candidate(pool[int(np.argmax(score))])

    def _observe(self, trial: Trial) -> None:
        if trial.score is not None:
            self._data.append((trial.genotype, trial.score))

    def _pool(self) -> list[Genotype]:
        """New architectures one or two mutations away from the best ones so far."""
        best = [g for g, _ in sorted(self._data, key=lambda gs: -gs[1])[: self.top]]
        pool: dict[str, Genotype] = {}
        for _ in range(self.candidates * 3):
            child = self.space.mutate(best[int(self.rng.integers(len(best)))], self.rng)
            if self.rng.random() < 0.5:
                child = self.space.mutate(child, self.rng)
            if self.is_new(child):
                pool.setdefault(self.space.key(child), child)
            if len(pool) >= self.candidates:
                break
        return list(pool.values()) or [self.random_new()]

    def _predict(self, pool: list[Genotype]) -> tuple[np.ndarray, np.ndarray]:
        """The ensemble's mean and standard deviation for each candidate."""
        if self._model is None or len(self._data) - self._fitted_on >= max(1, len(self._data) // REFIT_SHARE):
            y = np.array([s for _, s in self._data])
            x = np.stack([self.space.encode(g) for g, _ in self._data])
            self._model = EnsembleMLP(self.ensemble, self.rng).fit(x, (y - y.mean()) / (y.std() or 1.0))
            self._fitted_on = len(self._data)
        predictions = self._model.predict(np.stack([self.space.encode(g) for g in pool]))
        return predictions.mean(axis=0), predictions.std(axis=0)

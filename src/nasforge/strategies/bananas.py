"""BANANAS-style predictor-based search (White et al., 2021): an ensemble of small neural
networks predicts the objective from the space's encoding; the candidates are the architectures
one and two changes away from the best so far, and the acquisition function picks the next one to
evaluate.

Acquisition: independent Thompson sampling (`its`: one draw per candidate from a normal with the
ensemble's mean and spread) or an upper confidence bound (`ucb`: mean + `beta` × spread).
"""

from __future__ import annotations

import numpy as np

from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.strategies.base import Strategy
from nasforge.strategies.ensemble_mlp import STEPS, EnsembleMLP
from nasforge.trial import Candidate, Trial
from nasforge.validation import check_choice, check_float, check_int

ACQUISITIONS = ("its", "ucb")
REFIT_SHARE = 10  # refit once the data grew by a tenth (after every new trial up to 20 trials)
REFIT_STEPS = 50  # a refit continues from the last fit's weights


class Bananas(Strategy):
    """Predictor-guided search: an ensemble of MLPs on `space.encode` picks among the
    architectures near the best so far.

    Args:
        initial: random architectures before the predictor is used.
        ensemble: number of MLPs (each with its own initialisation).
        candidates: architectures two changes away from the best scored per ask (beside every
            unvisited neighbour of the `top` best).
        top: how many of the best architectures the candidates come from.
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
        candidates: int = 10,
        top: int = 1,
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
        """New architectures near the best so far: every unvisited neighbour of the `top` best,
        and `candidates` two changes away (a random neighbour's random neighbour)."""
        ranked = [g for g, _ in sorted(self._data, key=lambda gs: -gs[1])[: self.top]]
        pool: dict[str, Genotype] = {}
        near = [child for parent in ranked for child in self.space.neighbors(parent)]
        far = (
            [
                self.space.mutate(near[int(self.rng.integers(len(near)))], self.rng)
                for _ in range(self.candidates)
            ]
            if near
            else []
        )
        for child in near + far:
            if self.is_new(child):
                pool.setdefault(self.space.key(child), child)
        return list(pool.values()) or [self.random_new()]

    def _predict(self, pool: list[Genotype]) -> tuple[np.ndarray, np.ndarray]:
        """The ensemble's mean and standard deviation for each candidate."""
        if self._model is None or len(self._data) - self._fitted_on >= max(1, len(self._data) // REFIT_SHARE):
            y = np.array([s for _, s in self._data])
            x = np.stack([self.space.encode(g) for g, _ in self._data])
            steps = STEPS if self._model is None else REFIT_STEPS
            self._model = self._model or EnsembleMLP(self.ensemble, self.rng)
            self._model.fit(x, (y - y.mean()) / (y.std() or 1.0), steps)
            self._fitted_on = len(self._data)
        predictions = self._model.predict(np.stack([self.space.encode(g) for g in pool]))
        return predictions.mean(axis=0), predictions.std(axis=0)

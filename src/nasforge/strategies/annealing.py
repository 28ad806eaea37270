"""Simulated annealing over `neighbors`, with a cooling schedule and restarts."""

from __future__ import annotations

import math

from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.strategies.base import Strategy
from nasforge.trial import Candidate, Trial
from nasforge.validation import check_choice, check_float, check_int

SCHEDULES = ("geometric", "linear", "logarithmic")
MAX_FREE_STEPS = 100


class SimulatedAnnealing(Strategy):
    """Random neighbour moves, accepting a worse one with probability exp(Δ / (T · spread)).

    The temperature is measured in units of the spread (standard deviation) of the scores seen
    so far, so the defaults suit any metric scale. Moves onto architectures already evaluated
    cost nothing: their known score decides.

    Args:
        initial_temperature: T at the start of each run.
        cooling: "geometric" (T·rate^k), "linear" (T·max(0, 1 − rate·k)) or "logarithmic"
            (T / (1 + rate·ln(1 + k))), k counting evaluated moves.
        cooling_rate: the schedule's rate.
        restart_after: evaluated moves without a new best before restarting from a random point.
        seed: random seed.

    Example:
        >>> from nasforge.spaces import NB201Space
        >>> len(SimulatedAnnealing(NB201Space(), cooling="linear").ask(1))
        1
    """

    name = "annealing"

    def __init__(
        self,
        space: SearchSpace,
        *,
        initial_temperature: float = 1.0,
        cooling: str = "geometric",
        cooling_rate: float = 0.9,
        restart_after: int = 25,
        seed: int = 0,
    ) -> None:
        super().__init__(space, seed=seed)
        self.initial_temperature = check_float("initial_temperature", initial_temperature, minimum=0.0)
        self.cooling = check_choice("cooling", cooling, SCHEDULES)
        self.cooling_rate = check_float("cooling_rate", cooling_rate, minimum=0.0)
        if self.cooling == "geometric" and not 0.0 < self.cooling_rate < 1.0:
            check_float("cooling_rate (geometric)", cooling_rate, minimum=1e-9, maximum=1 - 1e-9)
        self.restart_after = check_int("restart_after", restart_after, minimum=1)
        self._scores: dict[str, float] = {}
        self._moments = [0.0, 0.0]  # sum and sum of squares of the scores, for their spread
        self._current: tuple[Genotype, float] | None = None
        self._run_best = -math.inf
        self._steps = 0
        self._stale = 0

    def temperature(self) -> float:
        """The current temperature (before scaling by the score spread)."""
        k, rate, t0 = self._steps, self.cooling_rate, self.initial_temperature
        if self.cooling == "geometric":
            return t0 * rate**k
        if self.cooling == "linear":
            return t0 * max(0.0, 1.0 - rate * k)
        return t0 / (1.0 + rate * math.log1p(k))

    def _propose(self) -> Candidate:
        if self._current is None:
            return Candidate(self.random_new())
        for _ in range(MAX_FREE_STEPS):
            neighbor = self.space.mutate(self._current[0], self.rng)
            known = self._scores.get(self.space.key(neighbor))
            if known is None:
                return Candidate(neighbor) if self.is_new(neighbor) else Candidate(self.random_new())
            self._consider(neighbor, known)
        return Candidate(self.random_new())

    def _observe(self, trial: Trial) -> None:
        if trial.score is None:
            return
        self._scores[self.space.key(trial.genotype)] = trial.score
        self._moments[0] += trial.score
        self._moments[1] += trial.score**2
        if self._current is None:
            self._current, self._run_best = (trial.genotype, trial.score), trial.score
            return
        self._steps += 1
        self._stale = 0 if trial.score > self._run_best else self._stale + 1
        self._run_best = max(self._run_best, trial.score)
        self._consider(trial.genotype, trial.score)
        if self._stale >= self.restart_after:
            self._current, self._run_best, self._steps, self._stale = None, -math.inf, 0, 0

    def _consider(self, genotype: Genotype, score: float) -> None:
        """Metropolis acceptance of a move from the current architecture to `genotype`."""
        if self._current is None:
            return
        delta = score - self._current[1]
        if delta >= 0:
            self._current = (genotype, score)
            return
        temperature = self.temperature() * self._spread()
        if temperature > 0 and self.rng.random() < math.exp(delta / temperature):
            self._current = (genotype, score)

    def _spread(self) -> float:
        n = len(self._scores)
        if n < 2:
            return 1.0
        variance = max(0.0, self._moments[1] / n - (self._moments[0] / n) ** 2)
        return math.sqrt(variance) or 1.0

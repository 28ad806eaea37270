"""Local search over `neighbors`: first- or best-improvement hill climbing with random restarts."""

from __future__ import annotations

from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.strategies.base import Strategy
from nasforge.trial import Candidate, Trial
from nasforge.validation import check_choice, check_int


class LocalSearch(Strategy):
    """Hill climbing: try unseen neighbours of the current architecture, move when one is better.

    Each climb starts from the best of `initial_samples` random architectures; a climb that
    reaches a local optimum restarts. Neighbours evaluated earlier are judged by their known
    score at no cost.

    Args:
        improvement: "first" moves at the first better neighbour, "best" after trying them all.
        initial_samples: random architectures evaluated before each climb starts.
        seed: random seed.

    Example:
        >>> from nasforge.spaces import NB201Space
        >>> len(LocalSearch(NB201Space(), improvement="best").ask(2))
        2
    """

    name = "local"

    def __init__(
        self, space: SearchSpace, *, improvement: str = "first", initial_samples: int = 10, seed: int = 0
    ) -> None:
        super().__init__(space, seed=seed)
        self.improvement = check_choice("improvement", improvement, ("first", "best"))
        self.initial_samples = check_int("initial_samples", initial_samples, minimum=1)
        self._scores: dict[str, float] = {}
        self._current: tuple[Genotype, float] | None = None
        self._queue: list[Genotype] = []
        self._starts: list[tuple[Genotype, float]] = []
        self._best_neighbor: tuple[Genotype, float] | None = None
        self._pending: set[str] = set()  # keys of neighbours asked for and not yet told

    def _propose(self) -> Candidate:
        if self._current is None:
            return Candidate(self.random_new())
        while self._queue:
            neighbor = self._queue.pop()
            if self.is_new(neighbor):
                self._pending.add(self.space.key(neighbor))
                return Candidate(neighbor)
        if not self._pending:
            best = self._best_neighbor
            if best is not None and best[1] > self._current[1]:
                self._move(*best)
            else:
                self._restart()
            return self._propose()
        return Candidate(self.random_new())  # waiting on outstanding neighbours: explore meanwhile

    def _observe(self, trial: Trial) -> None:
        key = self.space.key(trial.genotype)
        is_neighbor = key in self._pending
        self._pending.discard(key)
        if trial.score is None:
            return
        self._scores[key] = trial.score
        if self._current is None:
            self._starts.append((trial.genotype, trial.score))
            if len(self._starts) >= self.initial_samples:
                self._move(*max(self._starts, key=lambda s: s[1]))
            return
        if not is_neighbor:  # an exploration sample drawn while neighbours were outstanding
            return
        if self._best_neighbor is None or trial.score > self._best_neighbor[1]:
            self._best_neighbor = (trial.genotype, trial.score)
        if self.improvement == "first" and trial.score > self._current[1]:
            self._move(trial.genotype, trial.score)

    def _move(self, genotype: Genotype, score: float) -> None:
        """Make `genotype` current; jump on at once to any better neighbour already known."""
        while True:
            self._current = (genotype, score)
            self._best_neighbor = None
            self._pending = set()
            neighbors = self.space.neighbors(genotype)
            known = [(n, self._scores[k]) for n in neighbors if (k := self.space.key(n)) in self._scores]
            better = [kn for kn in known if kn[1] > score]
            if not better:
                break
            genotype, score = max(better, key=lambda kn: kn[1])
        order = self.rng.permutation(len(neighbors))
        self._queue = [neighbors[i] for i in order]

    def _restart(self) -> None:
        self._current = None
        self._queue = []
        self._starts = []

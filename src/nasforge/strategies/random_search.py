"""Random search: uniform samples, never the same architecture twice."""

from __future__ import annotations

from nasforge.spaces.base import SearchSpace
from nasforge.strategies.base import Strategy
from nasforge.trial import Candidate, Trial


class RandomSearch(Strategy):
    """Uniform random sampling without repeats.

    Example:
        >>> from nasforge.spaces import NB201Space
        >>> len(RandomSearch(NB201Space(), seed=1).ask(3))
        3
    """

    name = "random"

    def __init__(self, space: SearchSpace, *, seed: int = 0) -> None:
        super().__init__(space, seed=seed)

    def _propose(self) -> Candidate:
        return Candidate(self.random_new())

    def _observe(self, trial: Trial) -> None:
        """Random search learns nothing."""

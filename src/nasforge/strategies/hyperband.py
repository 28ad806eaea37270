"""Successive halving, Hyperband (Li et al., 2018) and BOHB-style Hyperband (Falkner et al., 2018)
as brackets: each starts architectures at one rung and keeps the best 1/eta at each rung above."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from nasforge.strategies.multi_fidelity import MultiFidelityStrategy
from nasforge.trial import Candidate


@dataclass
class Bracket:
    """Architectures per level from rung `first` up: `sizes[j]` wanted, `members[j]` asked."""

    first: int
    sizes: list[int]
    members: list[list[str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.members = [[] for _ in self.sizes]


class SuccessiveHalving(MultiFidelityStrategy):
    """Synchronous successive halving: a bracket of `eta`^(rungs-1) architectures at the lowest
    rung, the best 1/eta of them promoted once all are in, and so on to the top; then the next.
    While a bracket waits for results (parallel workers), the next bracket starts.

    Takes the arguments of `MultiFidelityStrategy` (`eta`, `fidelities`, `min_fidelity`,
    `max_fidelity`, `base`, `seed`); new architectures come from random search by default.

    Example:
        >>> from nasforge.spaces import NB201Space
        >>> [c.fidelity for c in SuccessiveHalving(NB201Space()).ask(3)]
        [12.0, 12.0, 12.0]
    """

    name = "halving"

    def _start(self) -> None:
        self._open: list[Bracket] = []
        self._started = 0

    def new_bracket(self, index: int) -> Bracket:
        """The `index`-th bracket: always the most aggressive one."""
        top = len(self.rungs) - 1
        return self.sized(0, self.eta**top)

    def sized(self, first: int, n: int) -> Bracket:
        """A bracket of `n` architectures at rung `first`, divided by eta at each rung above."""
        levels = len(self.rungs) - first
        return Bracket(first, [max(1, n // self.eta**j) for j in range(levels)])

    def _propose(self) -> Candidate:
        for bracket in list(self._open):
            candidate = self._next_in(bracket)
            if candidate is not None:
                return candidate
            if self._done(bracket):
                self._open.remove(bracket)
        bracket = self.new_bracket(self._started)
        self._started += 1
        self._open.append(bracket)
        candidate = self._next_in(bracket)
        assert candidate is not None, "a new bracket starts with a new architecture"
        return candidate

    def _next_in(self, bracket: Bracket) -> Candidate | None:
        """The bracket's next candidate, or None while it waits for results (or is done)."""
        for level, size in enumerate(bracket.sizes):
            members, rung = bracket.members[level], bracket.first + level
            if len(members) >= size:
                continue
            if level == 0:
                genotype = self.sample_new()
                members.append(self.space.key(genotype))
                self.genotypes[members[-1]] = genotype
                return Candidate(genotype, self.rungs[rung])
            below = self.scores[rung - 1]
            if not all(key in below for key in bracket.members[level - 1]):
                return None  # the rung below is still running
            survivors = sorted(bracket.members[level - 1], key=lambda key: -below[key])  # stable: ties by age
            chosen = [key for key in survivors if key not in members and below[key] > -math.inf]
            if not chosen:
                return None
            members.append(chosen[0])
            return Candidate(self.genotypes[chosen[0]], self.rungs[rung])
        return None

    def _done(self, bracket: Bracket) -> bool:
        """Every asked member has its result (and no further candidate can come)."""
        return all(
            key in self.scores[bracket.first + level]
            for level, members in enumerate(bracket.members)
            for key in members
        )


class Hyperband(SuccessiveHalving):
    """Hyperband: successive-halving brackets that cycle from the most aggressive (many
    architectures at the lowest rung) to the most conservative (a few at the top rung only).

    Takes the arguments of `SuccessiveHalving`.

    Example:
        >>> from nasforge.spaces import NB201Space
        >>> [c.fidelity for c in Hyperband(NB201Space()).ask(5)]
        [12.0, 12.0, 12.0, 200.0, 200.0]
    """

    name = "hyperband"

    def new_bracket(self, index: int) -> Bracket:
        top = len(self.rungs) - 1
        s = top - index % (top + 1)
        n = math.ceil((top + 1) / (s + 1) * self.eta**s)
        return self.sized(top - s, n)


class BOHB(Hyperband):
    """BOHB-style search: Hyperband brackets whose new architectures come from a model-based
    sampler (Optuna's TPE through the `tpe` strategy by default) fitted on the lowest rung's results.

    Takes the arguments of `SuccessiveHalving`; `base` is `tpe` unless named.
    """

    name = "bohb"
    default_base = "tpe"

"""The supernets of the spaces that have one (`macro`, `families`: sliced shared layers; `nb201`:
mixed edges), behind one function; an ensemble of supernets trained with different seeds; and
few-shot supernets, one per choice of a knob."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import cast

import torch
from torch import Tensor, nn

from nasforge.errors import InvalidArgumentError
from nasforge.genotype import Genotype
from nasforge.oneshot.cell_supernet import CellSupernet
from nasforge.oneshot.families_supernet import FamiliesSupernet
from nasforge.oneshot.macro_supernet import MacroSupernet
from nasforge.spaces.base import SearchSpace
from nasforge.spaces.families.space import FamiliesSpace
from nasforge.spaces.macro.space import MacroSpace
from nasforge.spaces.nb201.space import NB201Space
from nasforge.task import Task

Single = MacroSupernet | FamiliesSupernet | CellSupernet
SUPERNETS: dict[type[SearchSpace], type[Single]] = {
    MacroSpace: MacroSupernet,
    FamiliesSpace: FamiliesSupernet,
    NB201Space: CellSupernet,
}
SUPERNET_SPACES = tuple(sorted(space.name for space in SUPERNETS))


def supernet_class(space: SearchSpace) -> type[Single]:
    """The supernet class of `space`.

    Raises:
        InvalidArgumentError: the space has none.
    """
    for space_kind, supernet in SUPERNETS.items():
        if isinstance(space, space_kind):
            return supernet
    raise InvalidArgumentError(
        f"space {space.name!r} has no supernet; one-shot search works on: {', '.join(SUPERNET_SPACES)}"
    )


def make_supernet(space: SearchSpace, task: Task) -> Single:
    """The untrained supernet of `space` on `task`.

    Raises:
        InvalidArgumentError: the space has none.
    """
    return supernet_class(space)(space, task)  # type: ignore[arg-type]


class _Group(nn.Module):
    """Supernets of one space that act as one: BatchNorm settings reach every member."""

    def __init__(self, members: Sequence[Single | SplitSupernet]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        self.space: SearchSpace = members[0].space
        self.task: Task = members[0].task

    @property
    def momentum(self) -> float | None:
        return cast("Single | SplitSupernet", self.members[0]).momentum

    @momentum.setter
    def momentum(self, value: float | None) -> None:
        for member in self.members:
            cast("Single | SplitSupernet", member).momentum = value

    def reset_statistics(self) -> None:
        for member in self.members:
            cast("Single | SplitSupernet", member).reset_statistics()


class SplitSupernet(_Group):
    """Few-shot supernets (Zhao et al., 2021): one per choice of the knob `feature` (a name of
    `space.feature_choices()`, e.g. `stage1.family`), each trained on the paths with that choice
    alone, so that the paths of different choices no longer share weights. A path runs on the
    member of its choice."""

    def __init__(self, members: Sequence[Single], feature: str) -> None:
        super().__init__(members)
        self.feature = feature
        self.choices = list(self.space.feature_choices()[feature])

    def member(self, genotype: Genotype) -> Single:
        """The supernet that runs `genotype`.

        Raises:
            InvalidArgumentError: the architecture has no such knob (e.g. a block it lacks).
        """
        value = self.space.features(genotype).get(self.feature)
        if value not in self.choices:
            raise InvalidArgumentError(
                f"split {self.feature!r}: the architecture has {self.feature} = {value!r}, not one of "
                f"{', '.join(map(repr, self.choices))}; split on a knob every architecture has"
            )
        return cast(Single, self.members[self.choices.index(value)])

    def forward(self, x: Tensor, genotype: Genotype) -> Tensor:
        return self.member(genotype)(x, genotype)


class SupernetEnsemble(_Group):
    """Supernets of one space trained alike but for their seeds: a path's output is the mean of
    their probabilities (as logits: the log of that mean). Two supernets trained with different
    seeds rank paths far apart (Kendall τ 0.61 on the main job's space), so their mean ranks
    steadier than either (`benchmarks/results/supernet_ranking.md`)."""

    def forward(self, x: Tensor, genotype: Genotype) -> Tensor:
        logs = torch.stack([torch.log_softmax(member(x, genotype), -1) for member in self.members])
        return torch.logsumexp(logs, 0) - math.log(len(self.members))


Supernet = Single | SplitSupernet | SupernetEnsemble


@contextmanager
def dropout_on(supernet: Supernet) -> Iterator[None]:
    """Run each path with its own dropout on, BatchNorm still in evaluation mode: a path is
    then scored as it trains, so paths that differ in dropout alone no longer tie (in evaluation
    mode dropout is the identity). The cell supernet has no dropout."""
    droppers = [m for m in supernet.modules() if isinstance(m, MacroSupernet | FamiliesSupernet)]
    for member in droppers:
        member.dropout_on = True
    try:
        yield
    finally:
        for member in droppers:
            member.dropout_on = False

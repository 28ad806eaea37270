"""The supernets of the spaces that have one (`macro`, `families`: sliced shared layers; `nb201`:
mixed edges), behind one function, and an ensemble of supernets trained with different seeds."""

from __future__ import annotations

import math
from collections.abc import Iterator
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


class SupernetEnsemble(nn.Module):
    """Supernets of one space trained alike but for their seeds: a path's output is the mean of
    their probabilities (as logits: the log of that mean). Two supernets trained with different
    seeds rank paths far apart (Kendall τ 0.61 on the main job's space), so their mean ranks
    steadier than either (`benchmarks/results/supernet_ranking.md`)."""

    def __init__(self, members: list[Single]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        self.space, self.task = members[0].space, members[0].task

    @property
    def momentum(self) -> float | None:
        return cast(Single, self.members[0]).momentum

    @momentum.setter
    def momentum(self, value: float | None) -> None:
        for member in self.members:
            cast(Single, member).momentum = value

    def reset_statistics(self) -> None:
        for member in self.members:
            cast(Single, member).reset_statistics()

    def forward(self, x: Tensor, genotype: Genotype) -> Tensor:
        logs = torch.stack([torch.log_softmax(member(x, genotype), -1) for member in self.members])
        return torch.logsumexp(logs, 0) - math.log(len(self.members))


Supernet = Single | SupernetEnsemble


@contextmanager
def dropout_on(supernet: Supernet) -> Iterator[None]:
    """Run each path with its own dropout on, BatchNorm still in evaluation mode: a path is
    then scored as it trains, so paths that differ in dropout alone no longer tie (in evaluation
    mode dropout is the identity). The cell supernet has no dropout."""
    members = supernet.members if isinstance(supernet, SupernetEnsemble) else [supernet]
    droppers = [m for m in members if isinstance(m, MacroSupernet | FamiliesSupernet)]
    for member in droppers:
        member.dropout_on = True
    try:
        yield
    finally:
        for member in droppers:
            member.dropout_on = False

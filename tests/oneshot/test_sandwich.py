"""The sandwich rule: of every four training steps of the SPOS supernet, one trains the largest
path and one the smallest, the others a uniform draw."""

from __future__ import annotations

import torch
from torch import Tensor

from nasforge.genotype import Genotype
from nasforge.oneshot.supernet_training import UniformPaths
from nasforge.oneshot.supernets import make_supernet
from nasforge.spaces import make_space
from nasforge.spaces.base import SearchSpace
from nasforge.task import Task

SPACE = {"name": "macro", "max_blocks": 3, "choices": {"channels": [8, 16, 32], "kernel": [3, 5]}}


def trained_paths(space: SearchSpace, sampling: str, steps: int) -> list[Genotype]:
    """The paths `steps` training steps of a supernet of `space` run, in order."""
    supernet = make_supernet(space, Task((1, 40), 10))
    seen: list[Genotype] = []

    def record(x: Tensor, genotype: Genotype) -> Tensor:
        seen.append(genotype)
        return torch.zeros(len(x), 10)

    supernet.forward = record  # type: ignore[method-assign]
    paths = UniformPaths(supernet, seed=0, sampling=sampling)
    for _ in range(steps):
        paths(torch.zeros(2, 1, 40))
    return seen


def test_sandwich_trains_the_largest_and_the_smallest_path_one_step_in_four() -> None:
    space = make_space(SPACE)
    seen = trained_paths(space, "sandwich", 8)
    sizes = [space.features(g) for g in seen]
    assert [f["blocks"] for f in sizes[0::4]] == [3, 3] and [f["blocks"] for f in sizes[1::4]] == [1, 1]
    largest = [v for k, v in sizes[0].items() if k.endswith((".channels", ".kernel"))]
    assert largest == [5, 32] * 3  # kernel, channels of each block
    assert {v for k, v in sizes[1].items() if k.endswith(".channels")} - {None} == {8}  # one block
    assert len({space.format(g) for g in seen[2::4] + seen[3::4]}) > 1  # the rest drawn


def test_uniform_paths_repeat_their_draws_per_epoch() -> None:
    space = make_space(SPACE)
    supernet = make_supernet(space, Task((1, 40), 10))
    paths = UniformPaths(supernet, seed=3)
    paths.start_epoch(5)
    first = [space.sample(paths.rng) for _ in range(3)]
    paths.start_epoch(5)
    assert [space.sample(paths.rng) for _ in range(3)] == first


def test_fair_paths_train_every_choice_equally_often() -> None:
    space = make_space({"name": "families", "max_blocks": 2, "choices": {"channels": [8, 16]}})
    seen = trained_paths(space, "fair", 30)  # six rounds of the five families, ten of depth 1-3
    features = [space.features(g) for g in seen]
    families = [f["stage1.family"] for f in features]
    assert sorted(families.count(family) for family in set(families)) == [6] * 5
    depths = [f["stage1.depth"] for f in features]
    assert [depths.count(d) for d in (1, 2, 3)] == [10, 10, 10]
    assert [f["blocks"] for f in features].count(1) == 15

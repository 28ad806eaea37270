"""`classic`: the stems and blocks of the classic image networks, written with the define-by-run
API: an AlexNet-style stem (a large kernel and stride, then overlapping max pooling) or a plain
one, then stages of VGG convolutions or GoogLeNet inception blocks (parallel 1x1, 3x3, 5x5 and
pooling branches, concatenated)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nasforge.spaces.define_by_run.space import UserSpace
from nasforge.task import Task

if TYPE_CHECKING:
    from torch import nn


def classic(k: Any, task: Task) -> nn.Module | None:
    """A stem, then 1-3 stages of VGG or inception blocks, then a classifier."""
    stem = k.choice("stem", ["plain", "alexnet"])
    stem_channels = k.choice("stem.channels", [16, 32, 64])
    stages = []
    for i in k.range("stages", 1, 3):
        kind = k.choice(f"s{i}.block", ["vgg", "inception"])
        width = k.choice(f"s{i}.channels", [16, 32, 64, 128])
        stages.append((kind, width, k.int(f"s{i}.depth", 1, 2)))
    dropout = k.choice("dropout", [0.0, 0.25, 0.5])
    if k.tracing:
        return None
    from nasforge.spaces.classic.blocks import ClassicNetwork

    return ClassicNetwork(task, stem, stem_channels, stages, dropout)


class ClassicSpace(UserSpace):
    """AlexNet-style or plain stems, then stages of VGG or GoogLeNet inception blocks.

    Example:
        >>> import numpy as np
        >>> space = ClassicSpace()
        >>> g = space.sample(np.random.default_rng(0))
        >>> space.parse(space.format(g)) == g
        True
    """

    name = "classic"

    def __init__(self) -> None:
        super().__init__(function=classic)

    def config(self) -> dict[str, Any]:
        return {"name": self.name}

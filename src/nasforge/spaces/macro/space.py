"""`macro`: a chain of conv blocks where every knob is searchable, then a classifier head."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nasforge.genotype import Genotype
from nasforge.spaces.chain.blocks import ACTIVATIONS, Knob
from nasforge.spaces.chain.space import ChainSpace
from nasforge.task import Task

if TYPE_CHECKING:
    from torch import nn

BLOCK_KNOBS = (
    Knob("kernel", (3, 5, 7), allowed=(1, 3, 5, 7, 9)),
    Knob("stride", (1, 2)),
    Knob("channels", (16, 32, 64, 128), allowed=(4, 8, 16, 32, 64, 128, 256)),
    Knob("dilation", (1, 2)),
    Knob("activation", ACTIVATIONS),
    Knob("batchnorm", (True, False)),
    Knob("pool", ("none", "max", "avg")),
    Knob("pool_size", (2, 3)),
)
HEAD_KNOBS = (
    Knob("global_pool", ("avg", "max", "flatten")),
    Knob("hidden", (0, 64, 128, 256), allowed=(0, 32, 64, 128, 256, 512)),
    Knob("dropout", (0.0, 0.25, 0.5), allowed=(0.0, 0.1, 0.25, 0.5, 0.6)),
)


class MacroSpace(ChainSpace):
    """Conv blocks (kernel, stride, channels, dilation, activation, BatchNorm, pooling) and a head.

    A block whose stride or pooling would shrink the input below one position is built without
    that reduction (repaired, never a crash). Knob choices can be narrowed with `choices`.

    Args:
        min_blocks: fewest conv blocks.
        max_blocks: most conv blocks.
        choices: per-knob values to search instead of the defaults, e.g. `{"kernel": [3, 5]}`;
            channels may go from 4 to 256, kernels from 1 to 9, hidden from 0 to 512.

    Example:
        >>> space = MacroSpace(max_blocks=3)
        >>> import numpy as np
        >>> g = space.sample(np.random.default_rng(0))
        >>> space.parse(space.format(g)) == g
        True
    """

    name = "macro"
    block_label = "conv"
    default_block_knobs = BLOCK_KNOBS
    default_head_knobs = HEAD_KNOBS

    def __init__(
        self, *, min_blocks: int = 1, max_blocks: int = 6, choices: dict[str, list[Any]] | None = None
    ) -> None:
        super().__init__(min_blocks=min_blocks, max_blocks=max_blocks, choices=choices)

    def unused_knobs(self, block: tuple[Any, ...]) -> set[str]:
        return {"pool_size"} if block[6] == "none" else set()

    def canonical_block(self, block: tuple[Any, ...]) -> tuple[Any, ...]:
        if block[6] == "none":  # pool size means nothing without pooling
            return (*block[:7], self.block_knobs[7].choices[0])
        return block

    def build(self, genotype: Genotype, task: Task) -> nn.Module:
        from nasforge.spaces.macro.network import MacroNetwork

        blocks, head = self.blocks(genotype)
        return MacroNetwork(blocks, head, task)

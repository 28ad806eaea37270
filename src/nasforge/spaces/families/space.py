"""`families`: stages of VGG, ResNet (basic / bottleneck), MobileNet or DenseNet blocks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nasforge.genotype import Genotype
from nasforge.spaces.chain.blocks import Knob
from nasforge.spaces.chain.space import ChainSpace
from nasforge.task import Task

if TYPE_CHECKING:
    from torch import nn

FAMILIES = ("vgg", "resnet", "bottleneck", "mobilenet", "densenet")
STAGE_KNOBS = (
    Knob("family", FAMILIES),
    Knob("channels", (16, 32, 64, 128), allowed=(8, 16, 32, 64, 128, 256)),
    Knob("depth", (1, 2, 3)),
    Knob("kernel", (3, 5)),
    Knob("expansion", (1, 3, 6)),
    Knob("growth", (8, 16, 32)),
)
HEAD_KNOBS = (Knob("dropout", (0.0, 0.25, 0.5), allowed=(0.0, 0.1, 0.25, 0.5, 0.6)),)


class FamiliesSpace(ChainSpace):
    """Stages, each of one block family; every stage after the first halves the resolution.

    `expansion` matters only to MobileNet stages (inverted residuals) and `growth` only to
    DenseNet stages; `key` ignores them elsewhere.

    Args:
        min_blocks: fewest stages.
        max_blocks: most stages.
        choices: per-knob subsets of the allowed values, e.g. `{"family": ["resnet", "vgg"]}`.

    Example:
        >>> import numpy as np
        >>> space = FamiliesSpace()
        >>> g = space.sample(np.random.default_rng(0))
        >>> space.parse(space.format(g)) == g
        True
    """

    name = "families"
    block_label = "stage"
    default_block_knobs = STAGE_KNOBS
    default_head_knobs = HEAD_KNOBS

    def __init__(
        self, *, min_blocks: int = 1, max_blocks: int = 4, choices: dict[str, list[Any]] | None = None
    ) -> None:
        super().__init__(min_blocks=min_blocks, max_blocks=max_blocks, choices=choices)

    def unused_knobs(self, block: tuple[Any, ...]) -> set[str]:
        unused = set()
        if block[0] != "mobilenet":
            unused.add("expansion")
        if block[0] != "densenet":
            unused.add("growth")
        return unused

    def canonical_block(self, block: tuple[Any, ...]) -> tuple[Any, ...]:
        family, channels, depth, kernel, expansion, growth = block
        if family != "mobilenet":
            expansion = self.block_knobs[4].choices[0]
        if family != "densenet":
            growth = self.block_knobs[5].choices[0]
        return (family, channels, depth, kernel, expansion, growth)

    def build(self, genotype: Genotype, task: Task) -> nn.Module:
        from nasforge.spaces.families.blocks import FamiliesNetwork

        blocks, head = self.blocks(genotype)
        return FamiliesNetwork(blocks, head, task)

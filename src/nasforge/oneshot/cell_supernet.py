"""A supernet for the `nb201` cell space: every edge of every cell holds all five operations.

`forward(x, choice)` runs one cell for every position when `choice` is a genotype (a path), or
mixes the operations of each edge by a (6 edges, 5 operations) weight tensor shared by all cells
(DARTS' continuous relaxation; `arch_logits` are its learnable logits). A path's network taken
out with `extract` is the space's own network with those weights, so a cell chosen on the
supernet retrains, exports and serves like any genotype.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import Tensor, nn

from nasforge.genotype import Genotype
from nasforge.spaces.nb201.network import NB201Cell, NB201Network, edge_op
from nasforge.spaces.nb201.space import EDGES, OPS, NB201Space
from nasforge.task import Task

Choice = Genotype | Tensor  # one operation per edge, or a weight per edge and operation


class MixedEdge(nn.Module):
    """Every operation of one edge."""

    def __init__(self, dims: int, channels: int) -> None:
        super().__init__()
        self.ops = nn.ModuleList(edge_op(dims, op, channels) for op in OPS)

    def forward(self, x: Tensor, choice: str | Tensor) -> Tensor:
        if isinstance(choice, str):
            return cast(Tensor, self.ops[OPS.index(choice)](x))
        # `none` outputs zeros: it adds nothing to the sum (its weight still shares the softmax)
        return sum((w * op(x) for w, name, op in zip(choice, OPS, self.ops, strict=True) if name != "none"),
                   torch.zeros_like(x))  # fmt: skip


class MixedCell(nn.Module):
    """The NB201 cell with a mixed edge in place of each operation."""

    def __init__(self, dims: int, channels: int) -> None:
        super().__init__()
        self.edges = nn.ModuleList(MixedEdge(dims, channels) for _ in EDGES)

    def forward(self, x: Tensor, choice: Choice) -> Tensor:
        per_edge = choice.spec if isinstance(choice, Genotype) else choice
        nodes = [x]
        for target in range(1, 4):
            incoming = [
                self.edges[e](nodes[source], per_edge[e])
                for e, (to, source) in enumerate(EDGES)
                if to == target
            ]
            nodes.append(sum(incoming[1:], incoming[0]))
        return nodes[3]


class CellSupernet(NB201Network):
    """Supernet of an `NB201Space` on `task`: the space's network with mixed cells, plus the
    architecture logits `arch_logits` (edges x operations) that DARTS learns."""

    def __init__(self, space: NB201Space, task: Task) -> None:
        super().__init__(OPS, EDGES, task, space.channels, space.cells_per_stage, cell=MixedCell)
        self.space, self.task = space, task
        self.arch_logits = nn.Parameter(1e-3 * torch.randn(len(EDGES), len(OPS)))

    def forward(self, x: Tensor, choice: Choice) -> Tensor:  # type: ignore[override]
        x = self.stem(x)
        for layer in self.cells:
            x = layer(x, choice) if isinstance(layer, MixedCell) else layer(x)
        return cast(Tensor, self.classifier(self.head(x)))

    def derive(self) -> Genotype:
        """The cell DARTS ends with: the operation of largest weight on each edge, `none` left
        out as DARTS does (a cell of `none` edges would pass nothing on)."""
        logits = self.arch_logits.detach().clone()
        logits[:, OPS.index("none")] = -torch.inf
        return self.space.make([OPS[i] for i in logits.argmax(1).tolist()])

    @property
    def momentum(self) -> float | None:
        return self._norms()[0].momentum

    @momentum.setter
    def momentum(self, value: float | None) -> None:
        for norm in self._norms():
            norm.momentum = value

    def reset_statistics(self) -> None:
        """BatchNorm statistics back to their initial values (mean 0, variance 1)."""
        for norm in self._norms():
            norm.reset_running_stats()

    def _norms(self) -> list[nn.modules.batchnorm._BatchNorm]:
        return [m for m in self.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]

    def extract(self, genotype: Genotype) -> NB201Network:
        """The space's own network for `genotype`, with this path's weights and statistics."""
        network = cast(NB201Network, self.space.build(genotype, self.task))
        for name in ("stem", "head", "classifier"):
            getattr(network, name).load_state_dict(getattr(self, name).state_dict())
        for mine, theirs in zip(self.cells, network.cells, strict=True):
            if not isinstance(mine, MixedCell):
                theirs.load_state_dict(mine.state_dict())
                continue
            targets = cast(NB201Cell, theirs).edges
            for edge, op, target in zip(mine.edges, genotype.spec, targets, strict=True):
                target.load_state_dict(cast(MixedEdge, edge).ops[OPS.index(op)].state_dict())
        return network

"""The NAS-Bench-201 network in PyTorch: stem, three stages of cells, residual reductions, head."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn

from nasforge.spaces.ops import ReLUConvBN, Zero, avg_pool, batch_norm, conv, global_avg_pool
from nasforge.task import Task


def edge_op(dims: int, op: str, channels: int) -> nn.Module:
    """The module of one NB201 operation on `channels` channels."""
    if op == "none":
        return Zero()
    if op == "skip_connect":
        return nn.Identity()
    if op == "nor_conv_1x1":
        return ReLUConvBN(dims, channels, channels, 1)
    if op == "nor_conv_3x3":
        return ReLUConvBN(dims, channels, channels, 3)
    return avg_pool(dims, 3, stride=1, padding=1)


class NB201Cell(nn.Module):
    """Four nodes; node j sums the operations on its edges from every earlier node."""

    def __init__(
        self, ops: tuple[str, ...], edges: tuple[tuple[int, int], ...], dims: int, channels: int
    ) -> None:
        super().__init__()
        self.wiring = edges  # (target node, source node) of each op
        self.edges = nn.ModuleList(edge_op(dims, op, channels) for op in ops)

    def forward(self, x: Tensor) -> Tensor:
        nodes = [x]
        for target in range(1, 4):
            nodes.append(
                sum(
                    self.edges[e](nodes[source]) for e, (to, source) in enumerate(self.wiring) if to == target
                )
            )
        return nodes[3]


class ResidualReduction(nn.Module):
    """The benchmark's basic residual block that halves resolution and doubles channels."""

    def __init__(self, dims: int, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(dims, c_in, c_out, 3, stride=2)
        self.conv_b = ReLUConvBN(dims, c_out, c_out, 3)
        self.shortcut = nn.Sequential(
            avg_pool(dims, 2, stride=2, ceil_mode=True), conv(dims, c_in, c_out, 1, bias=False)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


class NB201Network(nn.Module):
    """Stem, stages of N cells at C, 2C and 4C channels with residual reductions, classifier.

    Works on any `(channels, length)` or `(channels, height, width)` input; with C=16 and N=5 on a
    3x32x32, 10-class task it has exactly the benchmark's parameter count. `cell(dims, width)`
    makes the cells instead (a supernet's mixed cells).
    """

    def __init__(
        self,
        ops: tuple[str, ...],
        edges: tuple[tuple[int, int], ...],
        task: Task,
        channels: int,
        cells_per_stage: int,
        cell: Callable[[int, int], nn.Module] | None = None,
    ) -> None:
        super().__init__()
        dims = task.dims
        make_cell = cell or (lambda dims, width: NB201Cell(ops, edges, dims, width))
        self.stem = nn.Sequential(
            conv(dims, task.channels, channels, 3, bias=False), batch_norm(dims, channels)
        )
        layers: list[nn.Module] = []
        width = channels
        for stage in range(3):
            if stage > 0:
                layers.append(ResidualReduction(dims, width, width * 2))
                width *= 2
            layers.extend(make_cell(dims, width) for _ in range(cells_per_stage))
        self.cells = nn.Sequential(*layers)
        self.head = nn.Sequential(batch_norm(dims, width), nn.ReLU(inplace=True), global_avg_pool(dims))
        self.classifier = nn.Linear(width, task.num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.head(self.cells(self.stem(x))))

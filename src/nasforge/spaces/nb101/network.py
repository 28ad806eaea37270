"""The NAS-Bench-101 network: stem, stacks of cells with max-pool downsampling, head."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from nasforge.spaces.ops import batch_norm, conv, global_avg_pool
from nasforge.task import Task


def conv_bn_relu(dims: int, c_in: int, c_out: int, kernel: int) -> nn.Sequential:
    """The benchmark's conv-BN-ReLU."""
    return nn.Sequential(conv(dims, c_in, c_out, kernel, bias=False), batch_norm(dims, c_out), nn.ReLU())


def vertex_channels(c_in: int, c_out: int, matrix: np.ndarray) -> list[int]:
    """NAS-Bench-101's channel plan: the output's channels split among the nodes feeding it."""
    n = len(matrix)
    channels = [c_in] + [0] * (n - 2) + [c_out]
    feeding = int(matrix[1:, n - 1].sum())
    if n == 2 or feeding == 0:
        return channels
    share, extra = divmod(c_out, feeding)
    for v in range(1, n - 1):
        if matrix[v, n - 1]:
            channels[v] = share + (1 if extra > 0 else 0)
            extra -= 1
    for v in range(n - 3, 0, -1):
        if not matrix[v, n - 1]:
            for dst in range(v + 1, n - 1):
                if matrix[v, dst]:
                    channels[v] = max(channels[v], channels[dst])
    return channels


class NB101Cell(nn.Module):
    """One cell: each node sums (channel-truncated) inputs and applies its op; outputs concatenate."""

    def __init__(self, matrix: np.ndarray, ops: list[str], dims: int, c_in: int, c_out: int) -> None:
        super().__init__()
        self.matrix, self.n = matrix, len(ops)
        self.channels = vertex_channels(c_in, c_out, matrix)
        self.ops = nn.ModuleList([nn.Identity()])
        self.projections = nn.ModuleList([nn.Identity()])
        for v in range(1, self.n - 1):
            c = self.channels[v]
            if ops[v] == "maxpool3x3":
                op: nn.Module = nn.MaxPool1d(3, 1, 1) if dims == 1 else nn.MaxPool2d(3, 1, 1)
            else:
                op = conv_bn_relu(dims, c, c, 3 if ops[v].startswith("conv3x3") else 1)
            self.ops.append(op)
            self.projections.append(conv_bn_relu(dims, c_in, c, 1) if matrix[0, v] else nn.Identity())
        self.output_projection = conv_bn_relu(dims, c_in, c_out, 1) if matrix[0, self.n - 1] else None

    def forward(self, x: Tensor) -> Tensor:
        nodes = [x]
        for v in range(1, self.n - 1):
            c = self.channels[v]
            fan_in = [nodes[u][:, :c] for u in range(1, v) if self.matrix[u, v]]
            if self.matrix[0, v]:
                fan_in.append(self.projections[v](x))
            nodes.append(self.ops[v](sum(fan_in)))
        outputs = [nodes[u] for u in range(1, self.n - 1) if self.matrix[u, self.n - 1]]
        out = torch.cat(outputs, dim=1) if outputs else None
        if self.output_projection is not None:
            projected = self.output_projection(x)
            out = projected if out is None else out + projected
        assert out is not None  # a pruned cell always reaches its output
        return out


class NB101Network(nn.Module):
    """Stem conv, `stacks` stacks of cells (channels double, resolution halves between), head."""

    def __init__(
        self,
        matrix: np.ndarray,
        ops: list[str],
        task: Task,
        stem_channels: int,
        stacks: int,
        cells_per_stack: int,
    ) -> None:
        super().__init__()
        dims, size = task.dims, min(task.input_shape[1:])
        layers: list[nn.Module] = [conv_bn_relu(dims, task.channels, stem_channels, 3)]
        c_in = c_out = stem_channels
        for stack in range(stacks):
            if stack > 0:
                c_out *= 2
                if size >= 2:
                    layers.append(nn.MaxPool1d(2) if dims == 1 else nn.MaxPool2d(2))
                    size //= 2
            for _ in range(cells_per_stack):
                layers.append(NB101Cell(matrix, ops, dims, c_in, c_out))
                c_in = c_out
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(global_avg_pool(dims), nn.Linear(c_out, task.num_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))

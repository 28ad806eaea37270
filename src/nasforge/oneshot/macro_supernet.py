"""A supernet for the `macro` space: every network of the space in one set of shared weights.

Each block position holds the largest layers its choices can ask for (most channels in and out,
largest kernel); a path (a genotype) uses the first `channels` filters, the centre `kernel`
taps, and applies stride, dilation, activation and pooling as it asks. Each global pooling
choice has a head of its own (parallel candidates): the widest hidden and output layers, sliced
to the path's features. A
path's network taken out with `extract` is the space's own network with those weights, so what
is chosen on the supernet retrains, exports and serves like any genotype.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from nasforge.genotype import Genotype
from nasforge.spaces.macro.network import ConvStep, MacroNetwork, plan
from nasforge.spaces.macro.space import MacroSpace
from nasforge.spaces.ops import BN_EPS, BN_MOMENTUM, conv
from nasforge.task import Task

_ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": F.relu,
    "elu": F.elu,
    "selu": F.selu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.1),
}


class MacroSupernet(nn.Module):
    """Single-path supernet of a `MacroSpace` on `task`: `forward(x, genotype)` runs one path.

    Weights are stored per block position: `conv_weight[i]`, `conv_bias[i]`, BatchNorm's
    `norm_weight[i]`, `norm_bias[i]` and statistics `running_mean[i]`, `running_var[i]`, PReLU's
    `slopes[i]`. The statistics are shared by every path and so fit none well: re-estimate them
    for a path before scoring it (`one_shot.recalibrate`, which sets `momentum` to average
    batches).
    """

    running_mean: Tensor
    running_var: Tensor

    def __init__(self, space: MacroSpace, task: Task) -> None:
        super().__init__()
        self.space, self.task = space, task
        knobs = {k.name: k.choices for k in space.block_knobs + space.head_knobs}
        width, kernel, blocks = max(knobs["channels"]), max(knobs["kernel"]), space.max_blocks
        convs = [conv(task.dims, task.channels if i == 0 else width, width, kernel) for i in range(blocks)]
        self.conv_weight = nn.ParameterList(
            nn.Parameter(cast(Tensor, c.weight).detach()) for c in convs
        )  # PyTorch's init
        self.conv_bias = nn.ParameterList(nn.Parameter(cast(Tensor, c.bias).detach()) for c in convs)
        self.norm_weight = nn.Parameter(torch.ones(blocks, width))
        self.norm_bias = nn.Parameter(torch.zeros(blocks, width))
        self.register_buffer("running_mean", torch.zeros(blocks, width))
        self.register_buffer("running_var", torch.ones(blocks, width))
        self.slopes = nn.Parameter(torch.full((blocks, width), 0.25))  # PReLU's initial slope
        self.heads = nn.ModuleDict(
            {pool_kind: Head(width, task, pool_kind, knobs["hidden"]) for pool_kind in knobs["global_pool"]}
        )
        self.momentum = BN_MOMENTUM
        self.dropout_on = False  # the head's dropout also in evaluation mode (`supernets.dropout_on`)

    def reset_statistics(self) -> None:
        """BatchNorm statistics back to their initial values (mean 0, variance 1)."""
        self.running_mean.zero_()
        self.running_var.fill_(1.0)

    def forward(self, x: Tensor, genotype: Genotype) -> Tensor:
        blocks, (global_pool, hidden, dropout) = self.space.blocks(genotype)
        steps, size, _ = plan(blocks, self.task)
        for i, step in enumerate(steps):
            x = self._block(i, step, x)
        x = x.flatten(1) if global_pool == "flatten" else _global_pool(x, global_pool)
        drop = self.training or self.dropout_on
        x = F.dropout(x, dropout, drop)
        for i, (weight, bias) in enumerate(self.head(global_pool).layers(steps[-1].channels, size, hidden)):
            if i:
                x = F.dropout(F.relu(x), dropout, drop)
            x = F.linear(x, weight, bias)
        return x

    def head(self, global_pool: str) -> Head:
        return cast(Head, self.heads[global_pool])

    def _block(self, i: int, s: ConvStep, x: Tensor) -> Tensor:
        c = s.channels
        weight = _centre(self.conv_weight[i][:c, : s.c_in], s.kernel)
        convolve = F.conv1d if self.task.dims == 1 else F.conv2d
        x = convolve(
            x, weight, None if s.batchnorm else self.conv_bias[i][:c], s.stride, s.padding, s.dilation
        )
        if s.batchnorm:
            x = F.batch_norm(
                x, self.running_mean[i, :c], self.running_var[i, :c], self.norm_weight[i, :c],
                self.norm_bias[i, :c], self.training, self.momentum, BN_EPS,
            )  # fmt: skip
        x = F.prelu(x, self.slopes[i, :c]) if s.activation == "prelu" else _ACTIVATIONS[s.activation](x)
        if s.pool == "max":
            x = (F.max_pool1d if self.task.dims == 1 else F.max_pool2d)(x, s.pool_size)
        elif s.pool == "avg":
            x = (F.avg_pool1d if self.task.dims == 1 else F.avg_pool2d)(x, s.pool_size)
        return x

    def extract(self, genotype: Genotype) -> MacroNetwork:
        """The space's own network for `genotype`, with this path's weights and statistics."""
        network = cast(MacroNetwork, self.space.build(genotype, self.task))
        blocks, (global_pool, hidden, _) = self.space.blocks(genotype)
        steps, size, _ = plan(blocks, self.task)
        layers = iter(network.features)
        with torch.no_grad():
            for i, s in enumerate(steps):
                c = s.channels
                convolution = next(layers)
                _copy(convolution, "weight", _centre(self.conv_weight[i][:c, : s.c_in], s.kernel))
                if s.batchnorm:
                    norm = next(layers)
                    _copy(norm, "weight", self.norm_weight[i, :c])
                    _copy(norm, "bias", self.norm_bias[i, :c])
                    _copy(norm, "running_mean", self.running_mean[i, :c])
                    _copy(norm, "running_var", self.running_var[i, :c])
                else:
                    _copy(convolution, "bias", self.conv_bias[i][:c])
                act = next(layers)
                if s.activation == "prelu":
                    _copy(act, "weight", self.slopes[i, :c])
                if s.pool != "none":
                    next(layers)
            linear = [m for m in network.classifier if isinstance(m, nn.Linear)]
            taken = self.head(global_pool).layers(steps[-1].channels, size, hidden)
            for target, (weight, bias) in zip(linear, taken, strict=True):
                target.weight.copy_(weight)
                target.bias.copy_(bias)
        return network


class Head(nn.Module):
    """The head for one global pooling choice: the widest hidden and output layers, and a
    direct output layer where a head may have no hidden layer. Flattened features are laid out
    as (channel, position) of the widest, largest map, so each weight keeps its meaning on
    every path."""

    def __init__(self, width: int, task: Task, pool_kind: str, hidden: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = (width, *task.input_shape[1:]) if pool_kind == "flatten" else (width,)
        features, most = math.prod(self.shape), max(hidden)
        self.hidden = nn.Linear(features, most) if most else None
        self.out_hidden = nn.Linear(most, task.num_classes) if most else None
        self.out_direct = nn.Linear(features, task.num_classes) if 0 in hidden else None

    def layers(self, width: int, size: tuple[int, ...], hidden: int) -> list[tuple[Tensor, Tensor]]:
        """Weight and bias of each linear layer of a path whose last map is `width` x `size`."""
        region = (slice(None), slice(0, width), *(slice(0, s) for s in size[: len(self.shape) - 1]))

        def take(weight: Tensor) -> Tensor:  # the columns that read this path's features
            return weight.view(len(weight), *self.shape)[region].reshape(len(weight), -1)

        if not hidden:
            assert self.out_direct is not None
            return [(take(self.out_direct.weight), self.out_direct.bias)]
        assert self.hidden is not None and self.out_hidden is not None
        return [
            (take(self.hidden.weight[:hidden]), self.hidden.bias[:hidden]),
            (self.out_hidden.weight[:, :hidden], self.out_hidden.bias),
        ]


def _centre(weight: Tensor, kernel: int) -> Tensor:
    """The centre `kernel` taps of a larger kernel along every spatial axis."""
    start = (weight.shape[-1] - kernel) // 2
    taps = slice(start, start + kernel)
    return weight[..., taps] if weight.dim() == 3 else weight[..., taps, taps]


def _global_pool(x: Tensor, kind: str) -> Tensor:
    dims = tuple(range(2, x.dim()))
    return x.mean(dims) if kind == "avg" else x.amax(dims)


def _copy(module: nn.Module, name: str, value: Tensor) -> None:
    cast(Tensor, getattr(module, name)).copy_(value)

"""A supernet for the `families` space: every network of the space in one set of shared weights.

Each stage position holds every block family as a parallel candidate; a family's layers there are
the largest its knobs can ask for (most channels in and out, deepest, widest expansion and
growth, largest kernel), and a path takes the first channels and blocks and the centre kernel
taps. A path runs as the space's own network with its weights and BatchNorm statistics taken as
views of the shared ones, so `extract` gives exactly that network, which retrains, exports and
serves like any genotype.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any, cast

import torch
from torch import Tensor, nn
from torch.func import functional_call

from nasforge.genotype import Genotype
from nasforge.spaces.families.blocks import FamiliesNetwork, stage
from nasforge.spaces.families.space import FamiliesSpace
from nasforge.spaces.ops import BN_MOMENTUM
from nasforge.task import Task


class FamiliesSupernet(nn.Module):
    """Single-path supernet of a `FamiliesSpace` on `task`: `forward(x, genotype)` runs one path.

    Shared tensors are named `stem/…`, `classifier/…` and `stage<i>/<family>/<block>/…`. The
    BatchNorm statistics are shared by every path and so fit none well: re-estimate them for a
    path before scoring it (`recalibrate`, which sets `momentum` to average batches).
    """

    def __init__(self, space: FamiliesSpace, task: Task) -> None:
        super().__init__()
        self.space, self.task = space, task
        self.momentum: float | None = BN_MOMENTUM
        self.dropout_on = False  # dropout also in evaluation mode (`supernets.dropout_on`)
        self._last: tuple[Genotype, FamiliesNetwork, Plan] | None = None
        for key, (shape, module) in _largest(space, task).items():
            value = _initial(key, shape, module)
            if isinstance(value, nn.Parameter):
                self.register_parameter(key, value)
            else:
                self.register_buffer(key, value)

    def forward(self, x: Tensor, genotype: Genotype) -> Tensor:
        network, plan = self._path(genotype)
        network.train(self.training)
        for module in network.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.momentum = self.momentum
            elif isinstance(module, nn.Dropout):
                module.train(self.training or self.dropout_on)
        return cast(Tensor, functional_call(network, self._views(plan), (x,)))

    def reset_statistics(self) -> None:
        """BatchNorm statistics back to their initial values (mean 0, variance 1, no batches)."""
        for key, buffer in self.named_buffers():
            buffer.fill_(1.0 if key.endswith("running_var") else 0.0)

    def extract(self, genotype: Genotype) -> FamiliesNetwork:
        """The space's own network for `genotype`, with this path's weights and statistics."""
        network = cast(FamiliesNetwork, self.space.build(genotype, self.task))
        with torch.no_grad():
            network.load_state_dict({k: v.clone() for k, v in self._views(_plan(network, genotype)).items()})
        return network

    def _path(self, genotype: Genotype) -> tuple[FamiliesNetwork, Plan]:
        """The network that runs `genotype` and its plan, kept for the last genotype asked for
        (scoring runs one path for many batches in a row)."""
        if self._last is None or self._last[0] != genotype:
            network = cast(FamiliesNetwork, self.space.build(genotype, self.task))
            self._last = (genotype, network, _plan(network, genotype))
        return self._last[1], self._last[2]

    def _views(self, plan: Plan) -> dict[str, Tensor]:
        """Each of the path network's tensors as a view of the shared tensor it reads."""
        shared = {**self._parameters, **self._buffers}  # every shared tensor is registered here
        return {name: _take(cast(Tensor, shared[key]), shape) for name, key, shape in plan}


Plan = list[tuple[str, str, tuple[int, ...]]]  # a path tensor's name, the shared key, its shape


def _plan(network: FamiliesNetwork, genotype: Genotype) -> Plan:
    """For each tensor of `network` (the path `genotype`): its name, the shared tensor it reads
    and its shape."""
    stages, _ = genotype.spec
    keys = _shared_keys(network, stages)
    return [(name, keys[name], tuple(t.shape)) for name, t in network.state_dict(keep_vars=True).items()]


def _shared_keys(network: FamiliesNetwork, stages: Sequence[tuple[Any, ...]]) -> dict[str, str]:
    """The shared tensor each tensor of `network` (a path with `stages`) reads."""
    keys = {f"classifier.{n}": f"classifier/{n}" for n in network.classifier.state_dict()}
    layers, bounds = list(network.features), [*network.stage_starts, len(network.features)]
    for index in range(bounds[0]):
        keys.update({f"features.{index}.{n}": f"stem/{index}/{n}" for n in layers[index].state_dict()})
    for s, (start, end) in enumerate(itertools.pairwise(bounds)):
        for ordinal, (b, block) in enumerate(_with_tensors(layers[start:end])):
            for n in block.state_dict():
                keys[f"features.{start + b}.{n}"] = _stage_key(s, stages[s], ordinal, n)
    return {name: key.replace(".", "/") for name, key in keys.items()}


def _with_tensors(blocks: Sequence[nn.Module]) -> list[tuple[int, nn.Module]]:
    """The blocks that hold tensors, with their index (a pooling layer holds none)."""
    return [(i, b) for i, b in enumerate(blocks) if next(iter(b.state_dict()), None) is not None]


def _stage_key(s: int, spec: tuple[Any, ...], ordinal: int, rest: str) -> str:
    """The shared name of tensor `rest` of a stage's `ordinal`-th block with tensors (a pooling
    layer does not shift them); MobileNet's layers are named as if every block had its expansion
    layer and no residual wrapper."""
    family, expansion = spec[0], spec[4]
    if family == "mobilenet":
        layer, tail = rest.removeprefix("body.").split(".", 1)
        rest = f"{int(layer) + (expansion == 1)}.{tail}"
    return f"stage{s}/{family}/{ordinal}/{rest}"


def _largest(space: FamiliesSpace, task: Task) -> dict[str, tuple[tuple[int, ...], nn.Module]]:
    """Every shared tensor's name, its shape (the largest any path asks for) and a module of
    the kind that holds it. Shapes grow with every knob and with the channels coming in, so one
    stage of the largest knobs per family and position, fed the widest input with stride 2 (which
    gives it a projecting shortcut), holds them all."""
    choices = {k.name: k.choices for k in space.block_knobs}
    families, channels = choices["family"], max(choices["channels"])
    top = tuple(max(choices[k]) for k in ("depth", "kernel", "expansion", "growth"))
    largest = {f: (f, channels, *top) for f in families}
    widest = max(stage(task.dims, largest[f], channels, 1)[1] for f in families)
    out: dict[str, tuple[tuple[int, ...], nn.Module]] = {}

    def add(key: str, tensor: Tensor, module: nn.Module) -> None:
        shape, known = tuple(tensor.shape), out.get(key)
        if known is not None:  # keep the larger tensor's module (a bias's bound reads its weight)
            module = module if math.prod(shape) > math.prod(known[0]) else known[1]
            shape = tuple(max(a, b) for a, b in zip(known[0], shape, strict=True))
        out[key] = (shape, module)

    for f in families:  # the stem, the classifier and the first stage (the stem's width in, stride 1)
        probe = FamiliesNetwork((largest[f],), (0.0,), task)
        keys = _shared_keys(probe, (largest[f],))
        for name, tensor, module in _tensors(probe):
            add(keys[name], tensor, module)
    for s in range(1, space.max_blocks):
        for f in families:
            blocks, _ = stage(task.dims, largest[f], widest, 2)
            for ordinal, (_, block) in enumerate(_with_tensors(blocks)):
                for name, tensor, module in _tensors(block):
                    add(_stage_key(s, largest[f], ordinal, name).replace(".", "/"), tensor, module)
    return out


def _tensors(root: nn.Module) -> list[tuple[str, Tensor, nn.Module]]:
    """Every parameter and buffer under `root`: its name, itself and the module holding it."""
    return [
        (f"{name}.{own}".removeprefix("."), tensor, module)
        for name, module in root.named_modules()
        for own, tensor in [*module.named_parameters(recurse=False), *module.named_buffers(recurse=False)]
    ]


def _initial(key: str, shape: tuple[int, ...], module: nn.Module) -> Tensor:
    """PyTorch's initial value for a tensor of `shape` held by a module like `module`."""
    last = key.rsplit("/", 1)[-1]
    if last == "num_batches_tracked":
        return torch.zeros(shape, dtype=torch.long)
    if last in ("running_mean", "running_var"):
        return torch.full(shape, float(last == "running_var"))
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return nn.Parameter(torch.full(shape, float(last == "weight")))
    value = torch.empty(shape)
    if last == "weight":
        nn.init.kaiming_uniform_(value, a=math.sqrt(5))  # as nn.Linear and nn.Conv* do
    else:  # a bias, bounded by its layer's fan-in
        bound = 1.0 / math.sqrt(math.prod(cast(Tensor, module.weight).shape[1:]))
        value.uniform_(-bound, bound)
    return nn.Parameter(value)


def _take(tensor: Tensor, shape: tuple[int, ...]) -> Tensor:
    """The first entries of `tensor` along its first two axes and the centre ones along kernel
    axes (a view)."""
    index: list[slice] = []
    for axis, size in enumerate(shape):
        start = (tensor.shape[axis] - size) // 2 if axis >= 2 else 0
        index.append(slice(start, start + size))
    return tensor[tuple(index)]

"""A supernet for the `families` space: every network of the space in one set of shared weights.

Each stage position holds every block family as a parallel candidate; a family's layers there are
the largest its knobs can ask for (most channels in and out, deepest, widest expansion and
growth, largest kernel), and a path takes the first channels and blocks and the centre kernel
taps. A path runs as the space's own network with its weights and BatchNorm statistics taken as
views of the shared ones, so `extract` gives exactly that network, which retrains, exports and
serves like any genotype.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any, cast

import torch
from torch import Tensor, nn
from torch.func import functional_call

from nasforge.genotype import Genotype
from nasforge.spaces.families import FamiliesSpace
from nasforge.spaces.family_blocks import FamiliesNetwork, stage
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
        for key, (shape, module) in _largest(space, task).items():
            value = _initial(key, shape, module)
            if isinstance(value, nn.Parameter):
                self.register_parameter(key, value)
            else:
                self.register_buffer(key, value)

    def forward(self, x: Tensor, genotype: Genotype) -> Tensor:
        network = self._skeleton(genotype).train(self.training)
        for module in network.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.momentum = self.momentum
        return cast(Tensor, functional_call(network, self._views(network, genotype), (x,)))

    def reset_statistics(self) -> None:
        """BatchNorm statistics back to their initial values (mean 0, variance 1, no batches)."""
        for key, buffer in self.named_buffers():
            buffer.fill_(1.0 if key.endswith("running_var") else 0.0)

    def extract(self, genotype: Genotype) -> FamiliesNetwork:
        """The space's own network for `genotype`, with this path's weights and statistics."""
        network = self._skeleton(genotype)
        with torch.no_grad():
            network.load_state_dict({k: v.clone() for k, v in self._views(network, genotype).items()})
        return network

    def _skeleton(self, genotype: Genotype) -> FamiliesNetwork:
        return cast(FamiliesNetwork, self.space.build(genotype, self.task))

    def _views(self, network: FamiliesNetwork, genotype: Genotype) -> dict[str, Tensor]:
        """Each of the path network's tensors as a view of the shared tensor it reads."""
        stages, _ = self.space.blocks(genotype)
        own = network.state_dict(keep_vars=True)
        keys = _shared_keys(network, stages)
        shared = dict(self.named_parameters()) | dict(self.named_buffers())
        return {name: _take(shared[keys[name]], tuple(value.shape)) for name, value in own.items()}


def _shared_keys(network: FamiliesNetwork, stages: Sequence[tuple[Any, ...]]) -> dict[str, str]:
    """The shared tensor each tensor of `network` (a path with `stages`) reads."""
    keys = {}
    starts = network.stage_starts
    for name in network.state_dict():
        part, index, rest = name.split(".", 2)
        if part == "classifier":
            keys[name] = f"classifier/{rest}"
        elif int(index) < starts[0]:
            keys[name] = f"stem/{index}/{rest}"
        else:
            s = bisect.bisect_right(starts, int(index)) - 1
            end = starts[s + 1] if s + 1 < len(starts) else len(network.features)
            blocks = list(network.features)[starts[s] : end]
            keys[name] = _stage_key(s, stages[s], blocks, int(index) - starts[s], rest)
    return {name: key.replace(".", "/") for name, key in keys.items()}


def _stage_key(s: int, spec: tuple[Any, ...], blocks: Sequence[nn.Module], block: int, rest: str) -> str:
    """The shared name of tensor `rest` of block `block` among a stage's `blocks`: blocks are
    counted among those with tensors (a pooling layer does not shift them), and MobileNet's
    layers are named as if every block had its expansion layer and no residual wrapper."""
    family, expansion = spec[0], spec[4]
    ordinal = [i for i, b in enumerate(blocks) if next(iter(b.state_dict()), None)].index(block)
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
            for b, block in enumerate(blocks):
                for name, tensor, module in _tensors(block):
                    add(_stage_key(s, largest[f], blocks, b, name).replace(".", "/"), tensor, module)
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

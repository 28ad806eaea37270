"""Structured pruning: whole channels removed, so the saved model is smaller and faster as it is.

`prune_channels` ranks each layer's output channels by the L2 norm of their filters (or by the
scale of the BatchNorm after them) and removes the weakest `ratio` of them, with
torch-pruning's dependency graph keeping coupled layers consistent (residual additions,
concatenations, depthwise convolutions, the BatchNorm and the next layer's inputs). The
classifier's output is never pruned. It returns the new sizes of every changed module, which a
model card stores; `restore_shapes` rebuilds that structure on a freshly built network before its
weights are loaded, so a pruned model loads with no extra step and without pickle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from nasforge.errors import InvalidArgumentError

CRITERIA = ("norm", "bn")
SIZE_ATTRIBUTES = (
    "in_channels",
    "out_channels",
    "groups",
    "num_features",
    "in_features",
    "out_features",
    "num_parameters",
)

Shapes = dict[str, dict[str, int]]


def prune_channels(
    model: nn.Module, ratio: float, input_shape: tuple[int, ...] | list[int], *, criterion: str = "norm"
) -> Shapes:
    """Remove the weakest `ratio` of the channels of every prunable layer, in place.

    Returns `{module name: {size attribute: new value}}` for every module whose size changed.

    Raises:
        InvalidArgumentError: `ratio` outside (0, 1) or an unknown `criterion`.

    Example:
        >>> # shapes = prune_channels(model, 0.5, (1, 40))  # half the channels of every conv
    """
    import torch_pruning as tp

    if not 0 < ratio < 1:
        raise InvalidArgumentError(f"--prune must be a ratio between 0 and 1 (exclusive), got {ratio}")
    if criterion not in CRITERIA:
        raise InvalidArgumentError(f"--prune-by must be one of {', '.join(CRITERIA)}, got {criterion!r}")
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    importance = (
        tp.importance.BNScaleImportance() if criterion == "bn" else tp.importance.MagnitudeImportance(p=2)
    )
    before = _sizes(model)
    model.eval()
    pruner = tp.pruner.MetaPruner(
        model,
        torch.zeros(1, *input_shape),
        importance=importance,
        pruning_ratio=ratio,
        ignored_layers=linears[-1:],  # the classifier keeps one output per class
    )
    pruner.step()
    after = _sizes(model)
    return {name: changed for name, sizes in after.items() if (changed := _changed(before.get(name), sizes))}


def restore_shapes(
    model: nn.Module, shapes: Mapping[str, Mapping[str, int]], state: Mapping[str, Any]
) -> None:
    """Give a freshly built `model` the pruned structure: the stored sizes, and every parameter
    and buffer shaped like its tensor in `state` (whose values are loaded after)."""
    for name, sizes in shapes.items():
        module = model.get_submodule(name)
        for attribute, value in sizes.items():
            if hasattr(module, attribute):
                setattr(module, attribute, value)
    for key, tensor in state.items():
        owner, _, leaf = key.rpartition(".")
        module = model.get_submodule(owner)
        current = getattr(module, leaf, None)
        if not isinstance(current, torch.Tensor) or current.shape == tensor.shape:
            continue
        empty = torch.empty(tensor.shape, dtype=current.dtype)
        if isinstance(current, nn.Parameter):
            setattr(module, leaf, nn.Parameter(empty, requires_grad=current.requires_grad))
        else:
            module.register_buffer(leaf, empty)


def _sizes(model: nn.Module) -> Shapes:
    return {
        name: {a: getattr(module, a) for a in SIZE_ATTRIBUTES if isinstance(getattr(module, a, None), int)}
        for name, module in model.named_modules()
    }


def _changed(before: dict[str, int] | None, after: dict[str, int]) -> dict[str, int]:
    return {a: v for a, v in after.items() if before is None or before.get(a) != v}

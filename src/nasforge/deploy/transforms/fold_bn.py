"""Module merging: BatchNorm folded into the convolution or linear layer that runs before it.

`fold_batchnorm(model)` merges every BatchNorm that directly follows a convolution or linear
layer inside an `nn.Sequential` (where the order of the children is the order they run in) and
reports, per BatchNorm, whether it was folded or why not. A model folder records the folding in
its card (`"transforms": ["fold_bn"]`), so `nasforge.load` rebuilds the folded structure before
loading the weights: no extra step for the user.
"""

from __future__ import annotations

import torch
from torch import nn

FOLDABLE = (nn.Conv1d, nn.Conv2d, nn.Linear)
NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)


def fold_batchnorm(model: nn.Module) -> list[str]:
    """Fold BatchNorm layers into the preceding conv/linear layer, in place (eval-mode semantics).

    Returns one line per BatchNorm: folded into which layer, or why it was left.

    Example:
        >>> # report = fold_batchnorm(model)  # ["features.1: folded into features.0", ...]
    """
    report = []
    for parent_name, parent in model.named_modules():
        children = list(parent.named_children())
        for i, (name, child) in enumerate(children):
            if not isinstance(child, NORMS):
                continue
            path = f"{parent_name}.{name}".lstrip(".")
            before = children[i - 1][1] if i > 0 else None
            if isinstance(parent, nn.Sequential) and isinstance(before, FOLDABLE):
                _fold(before, child)
                setattr(parent, name, nn.Identity())
                report.append(f"{path}: folded into {parent_name}.{children[i - 1][0]}".lstrip("."))
            else:
                report.append(f"{path}: left (not directly after a conv or linear layer in a sequence)")
    return report


def _fold(layer: nn.Module, norm: nn.Module) -> None:
    assert isinstance(layer, FOLDABLE) and isinstance(norm, NORMS)
    with torch.no_grad():
        var = norm.running_var if norm.running_var is not None else torch.ones(norm.num_features)
        mean = norm.running_mean if norm.running_mean is not None else torch.zeros(norm.num_features)
        scale = (norm.weight if norm.weight is not None else 1) / torch.sqrt(var + norm.eps)
        shift = (norm.bias if norm.bias is not None else 0) - mean * scale
        layer.weight.mul_(scale.reshape(-1, *([1] * (layer.weight.dim() - 1))))
        bias = layer.bias if layer.bias is not None else torch.zeros_like(mean)
        layer.bias = nn.Parameter(bias * scale + shift)

"""Module merging: BatchNorm folded into the convolution or linear layer that runs before it.

`fold_batchnorm(model)` finds every BatchNorm whose input is the output of a convolution or
linear layer used nowhere else, from the model's traced graph (`torch.fx`), so a ResNet block's
`self.bn(self.conv(x))` is found as well as a pair inside an `nn.Sequential`; a model that
cannot be traced (data-dependent control flow) falls back to pairs inside `nn.Sequential`,
where the order of the children is the order they run in. The arithmetic is torch's own
(`torch.nn.utils.fusion`). It reports, per BatchNorm, whether it was folded or why not. A model
folder records the folding in its card (`"transforms": ["fold_bn"]`), so `nasforge.load`
rebuilds the folded structure before loading the weights: no extra step for the user.
"""

from __future__ import annotations

import collections
import itertools

import torch
from torch import fx, nn
from torch.nn.utils.fusion import fuse_conv_bn_weights, fuse_linear_bn_weights

FOLDABLE = (nn.Conv1d, nn.Conv2d, nn.Linear)
NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)


def fold_batchnorm(model: nn.Module) -> list[str]:
    """Fold BatchNorm layers into the preceding conv/linear layer, in place (eval-mode semantics).

    Returns one line per BatchNorm: folded into which layer, or why it was left.

    Example:
        >>> net = nn.Sequential(nn.Conv1d(1, 4, 3), nn.BatchNorm1d(4), nn.ReLU()).eval()
        >>> fold_batchnorm(net)
        ['1: folded into 0']
    """
    pairs = _traced_pairs(model)
    if pairs is None:
        pairs = _sequential_pairs(model)
    report = []
    for name, norm in model.named_modules():
        if not isinstance(norm, NORMS):
            continue
        layer_name = pairs.get(name)
        if layer_name is None:
            report.append(f"{name}: left (its input is not a conv or linear layer's alone)")
        elif norm.running_mean is None or norm.running_var is None:
            report.append(f"{name}: left (it keeps no running statistics)")
        else:
            _fold(model.get_submodule(layer_name), norm)
            parent, _, attribute = name.rpartition(".")
            setattr(model.get_submodule(parent), attribute, nn.Identity())
            report.append(f"{name}: folded into {layer_name}")
    return report


def _traced_pairs(model: nn.Module) -> dict[str, str] | None:
    """{BatchNorm: the layer before it} from the traced graph, or None where tracing fails."""
    try:
        graph = fx.symbolic_trace(model).graph
    except Exception:  # data-dependent control flow, or code fx cannot follow
        return None
    calls = [n for n in graph.nodes if n.op == "call_module"]
    # how often each module runs: a shared one cannot be changed for one of its uses
    used = collections.Counter(str(node.target) for node in calls)
    pairs = {}
    for node in calls:
        source = node.args[0] if node.args else None
        if (
            isinstance(model.get_submodule(str(node.target)), NORMS)
            and isinstance(source, fx.Node)
            and source.op == "call_module"
            and isinstance(model.get_submodule(str(source.target)), FOLDABLE)
            and len(source.users) == 1
            and used[str(node.target)] == used[str(source.target)] == 1
        ):
            pairs[str(node.target)] = str(source.target)
    return pairs


def _sequential_pairs(model: nn.Module) -> dict[str, str]:
    """{BatchNorm: the layer before it} for pairs that follow each other in an `nn.Sequential`."""
    pairs = {}
    for parent_name, parent in model.named_modules():
        if not isinstance(parent, nn.Sequential):
            continue
        children = list(parent.named_children())
        for (before_name, before), (name, child) in itertools.pairwise(children):
            if isinstance(child, NORMS) and isinstance(before, FOLDABLE):
                prefix = f"{parent_name}." if parent_name else ""
                pairs[prefix + name] = prefix + before_name
    return pairs


def _fold(layer: nn.Module, norm: nn.Module) -> None:
    """`layer`'s weight and bias replaced by those of `layer` followed by `norm` (torch's fusion)."""
    assert isinstance(layer, FOLDABLE) and isinstance(norm, NORMS)
    assert norm.running_mean is not None and norm.running_var is not None
    fuse = fuse_linear_bn_weights if isinstance(layer, nn.Linear) else fuse_conv_bn_weights
    with torch.no_grad():
        weight, bias = fuse(
            layer.weight, layer.bias, norm.running_mean, norm.running_var, norm.eps, norm.weight, norm.bias
        )
    bias.requires_grad_(weight.requires_grad)  # torch's is frozen where the layer had no bias
    layer.weight, layer.bias = weight, bias

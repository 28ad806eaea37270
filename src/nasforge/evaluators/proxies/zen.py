"""`zen` (Lin et al. 2021, Zen-NAS): expressivity of the feature map under Gaussian weights."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from nasforge.evaluators.proxies.base import ProxyBatch, weighted_layers

ALPHA = 0.01


def zen(model: nn.Module, batch: ProxyBatch) -> float:
    """log(E‖f(x) − f(x + αε)‖ / α) + Σ over BatchNorm layers of log √(mean channel variance).

    Weights are redrawn from N(0, 1) as in the paper; x and ε are Gaussian; f is the last
    spatial feature map (before global pooling); BatchNorm runs in training mode and its
    variance is measured on the input it normalises. The caller passes a copy.
    """
    generator = torch.Generator(device=batch.x.device).manual_seed(0)
    with torch.no_grad():
        for layer in weighted_layers(model):
            layer.weight.normal_(generator=generator)
            if layer.bias is not None:
                layer.bias.zero_()
    model.train()
    features: list[Tensor] = []
    variances: list[float] = []

    def keep_feature(_m: nn.Module, _i: object, out: object) -> None:
        if isinstance(out, Tensor) and out.dim() >= 3:
            features.append(out)

    def keep_variance(_m: nn.Module, inputs: tuple[Tensor, ...]) -> None:
        x = inputs[0]
        dims = [d for d in range(x.dim()) if d != 1]
        variances.append(float(x.var(dim=dims).mean()))

    leaves = [m for m in model.modules() if not list(m.children())]
    norms = [m for m in leaves if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    handles = [m.register_forward_hook(keep_feature) for m in leaves]
    handles += [m.register_forward_pre_hook(keep_variance) for m in norms]
    shape = (len(batch.x), *batch.x.shape[1:])
    try:
        with torch.no_grad():
            x = torch.randn(shape, generator=generator, device=batch.x.device)
            eps = torch.randn(shape, generator=generator, device=batch.x.device)
            model(x)
            clean, bn_variances = features[-1], list(variances)
            model(x + ALPHA * eps)
            perturbed = features[-1]
    finally:
        for handle in handles:
            handle.remove()
    delta = float((clean - perturbed).flatten(1).norm(dim=1).mean())
    return math.log(max(delta, 1e-30) / ALPHA) + sum(0.5 * math.log(max(v, 1e-30)) for v in bn_variances)

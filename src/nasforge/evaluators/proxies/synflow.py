"""`synflow` (Tanaka et al. 2020; as a NAS proxy, Abdelfattah et al. 2021): data-free."""

from __future__ import annotations

import torch
from torch import nn

from nasforge.evaluators.proxies.base import ProxyBatch, weighted_layers


def synflow(model: nn.Module, batch: ProxyBatch) -> float:
    """Sum of |θ ⊙ ∂R/∂θ| over conv and linear weights, R the output sum of the network with all
    parameters replaced by their absolute values on an all-ones input, in double precision.

    BatchNorm is neutralised as in Abdelfattah et al.'s `bn=False`: evaluation mode with the
    fresh running statistics (mean 0, variance 1), so it passes signals through unnormalised.
    The caller passes a copy: this function changes the weights.
    """
    model.double().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.abs_()
    model.zero_grad(set_to_none=True)
    ones = torch.ones((1, *batch.x.shape[1:]), dtype=torch.float64, device=batch.x.device)
    model(ones).sum().backward()
    with torch.no_grad():
        terms = [
            (layer.weight * layer.weight.grad).abs().sum()
            for layer in weighted_layers(model)
            if layer.weight.grad is not None
        ]
    return float(sum(terms))

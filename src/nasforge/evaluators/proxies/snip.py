"""`snip` (Lee et al. 2019): connection sensitivity at initialisation."""

from __future__ import annotations

from torch import nn

from nasforge.evaluators.proxies.base import ProxyBatch, loss_backward, weighted_layers


def snip(model: nn.Module, batch: ProxyBatch) -> float:
    """Sum of |θ ⊙ ∂L/∂θ| over conv and linear weights, L the cross-entropy on the batch."""
    model.train()
    loss_backward(model, batch)
    terms = [
        float((layer.weight.detach() * layer.weight.grad).abs().sum())
        for layer in weighted_layers(model)
        if layer.weight.grad is not None
    ]
    return float(sum(terms))

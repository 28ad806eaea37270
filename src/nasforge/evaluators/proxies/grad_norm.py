"""`grad_norm`: how strongly the loss pulls on the weights at initialisation."""

from __future__ import annotations

from torch import nn

from nasforge.evaluators.proxies.base import ProxyBatch, loss_backward, weighted_layers


def grad_norm(model: nn.Module, batch: ProxyBatch) -> float:
    """Sum over conv and linear layers of the L2 norm of ∂L/∂θ (Abdelfattah et al. 2021)."""
    model.train()
    loss_backward(model, batch)
    return float(
        sum(
            float(layer.weight.grad.norm())
            for layer in weighted_layers(model)
            if layer.weight.grad is not None
        )
    )

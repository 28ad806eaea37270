"""`grasp` (Wang et al. 2020): gradient signal preservation."""

from __future__ import annotations

import torch
from torch import nn

from nasforge.evaluators.proxies.base import ProxyBatch, weighted_layers


def grasp(model: nn.Module, batch: ProxyBatch) -> float:
    """Sum of −θ ⊙ (H g) over conv and linear weights, H the Hessian of the loss and g its gradient.

    The Hessian-gradient product is taken by double backpropagation: g = ∇L (detached), then
    the gradient of z = gᵀ∇L with respect to θ.
    """
    model.train()
    weights: list[torch.Tensor] = [layer.weight for layer in weighted_layers(model)]
    loss = nn.functional.cross_entropy(model(batch.x), batch.y)
    grads = [
        g.detach() for g in torch.autograd.grad(loss, weights, allow_unused=True, materialize_grads=True)
    ]
    loss = nn.functional.cross_entropy(model(batch.x), batch.y)
    first = torch.autograd.grad(loss, weights, create_graph=True, allow_unused=True, materialize_grads=True)
    z = sum((f * g).sum() for f, g in zip(first, grads, strict=True))
    hessian_grad = torch.autograd.grad(z, weights, allow_unused=True, materialize_grads=True)  # type: ignore[arg-type]
    terms = [float((-w.detach() * hg).sum()) for w, hg in zip(weights, hessian_grad, strict=True)]
    return float(sum(terms))

"""`fisher` (Theis et al. 2018; as a NAS proxy, Abdelfattah et al. 2021)."""

from __future__ import annotations

from torch import Tensor, nn

from nasforge.evaluators.proxies.base import ProxyBatch, loss_backward, weighted_layers


def fisher(model: nn.Module, batch: ProxyBatch) -> float:
    """Summed Fisher information of every conv / linear output channel.

    For an activation a with gradient g = ∂L/∂a, a channel's score is ½ · mean over the batch of
    (Σ over positions of a·g)²; the proxy sums every channel of every layer.
    """
    model.train()
    acts: list[Tensor] = []

    def keep(_m: nn.Module, _i: object, out: Tensor) -> None:
        out.retain_grad()
        acts.append(out)

    handles = [layer.register_forward_hook(keep) for layer in weighted_layers(model)]
    try:
        loss_backward(model, batch)
    finally:
        for handle in handles:
            handle.remove()
    total = 0.0
    for act in acts:
        if act.grad is None:
            continue
        per_channel = (act * act.grad).flatten(2).sum(2) if act.dim() > 2 else act * act.grad
        total += float((0.5 * per_channel.detach().pow(2).mean(0)).sum())
    return total

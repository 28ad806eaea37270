"""`params`: trainable parameter count."""

from __future__ import annotations

from torch import nn

from nasforge.evaluators.proxies.base import ProxyBatch


def params(model: nn.Module, batch: ProxyBatch) -> float:
    """Number of trainable parameters."""
    return float(sum(p.numel() for p in model.parameters() if p.requires_grad))

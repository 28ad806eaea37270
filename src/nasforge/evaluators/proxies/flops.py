"""`flops`: floating-point operations of one forward pass on one example."""

from __future__ import annotations

from torch import nn

from nasforge.evaluators.profiling import flops as count_flops
from nasforge.evaluators.proxies.base import ProxyBatch


def flops(model: nn.Module, batch: ProxyBatch) -> float:
    """FLOPs per example (`torch.utils.flop_counter`)."""
    return float(count_flops(model, batch.x))

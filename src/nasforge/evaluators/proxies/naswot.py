"""`naswot` (Mellor et al. 2021): how distinct the ReLU activation patterns of a batch are."""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from nasforge.evaluators.proxies.base import ProxyBatch


def naswot(model: nn.Module, batch: ProxyBatch) -> float:
    """log |K| with K = C Cᵀ + (1 − C)(1 − C)ᵀ, C the binary codes (ReLU active or not) of every
    ReLU unit, one row per example: the Hamming-similarity kernel of the batch."""
    model.eval()
    n = len(batch.x)
    kernel = torch.zeros((n, n), dtype=torch.float64)

    def add(_m: nn.Module, _i: object, out: Tensor) -> None:
        codes = (out.detach().reshape(n, -1) > 0).double().cpu()
        kernel.add_(codes @ codes.T + (1 - codes) @ (1 - codes).T)

    relus = [m for m in model.modules() if isinstance(m, (nn.ReLU, nn.ReLU6, nn.LeakyReLU))]
    handles = [m.register_forward_hook(add) for m in relus]
    try:
        with torch.no_grad():
            model(batch.x)
    finally:
        for handle in handles:
            handle.remove()
    sign, logdet = np.linalg.slogdet(kernel.numpy())
    return float(logdet) if sign > 0 else float("-inf")

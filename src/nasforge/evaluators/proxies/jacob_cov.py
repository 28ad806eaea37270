"""`jacob_cov` (Mellor et al. 2020, v1): how differently the network treats different inputs."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from nasforge.evaluators.proxies.base import ProxyBatch

K = 1e-5


def jacob_cov(model: nn.Module, batch: ProxyBatch) -> float:
    """−Σ (log(λ + k) + 1/(λ + k)) over the eigenvalues λ of the correlation matrix of the
    per-example input Jacobians (of the summed outputs), k = 1e-5."""
    model.train()
    x = batch.x.clone().requires_grad_(True)
    model.zero_grad(set_to_none=True)
    y = model(x)
    y.backward(torch.ones_like(y))
    jacobians = x.grad.reshape(len(x), -1).detach().cpu().double().numpy()  # type: ignore[union-attr]
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(jacobians)
    if not np.all(np.isfinite(corr)):
        return float("nan")
    eigenvalues = np.linalg.eigvalsh(corr)
    return float(-np.sum(np.log(eigenvalues + K) + 1.0 / (eigenvalues + K)))

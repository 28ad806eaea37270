"""BANANAS' predictor: its hand-written backpropagation against torch's autograd, and a fit."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nasforge.strategies import ensemble_mlp
from nasforge.strategies.ensemble_mlp import EnsembleMLP


def test_gradients_match_autograd(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(17, 6)), rng.normal(size=17)
    monkeypatch.setattr(ensemble_mlp, "STEPS", 0)  # initialise the weights only
    model = EnsembleMLP(3, rng).fit(x, y)
    target = np.broadcast_to(y[None, :, None], (3, len(y), 1))
    ours = model._gradients(x, target)
    weights = [torch.tensor(w, requires_grad=True) for w in model.weights]
    w1, b1, w2, b2, w3, b3 = weights
    xt = torch.tensor(x)
    out = torch.relu(torch.relu(xt @ w1 + b1) @ w2 + b2) @ w3 + b3
    loss = ((out - torch.tensor(target)) ** 2).mean(dim=(1, 2)).sum()  # each member's own MSE
    loss.backward()
    for mine, theirs in zip(ours, weights, strict=True):
        assert theirs.grad is not None
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_the_fitted_ensemble_learns_a_smooth_function() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(200, 3))
    y = x[:, 0] - 2 * x[:, 1] ** 2
    model = EnsembleMLP(4, rng).fit(x, y)
    predicted = model.predict(x)
    assert predicted.shape == (4, 200)
    assert np.mean((predicted.mean(axis=0) - y) ** 2) < 0.1 * np.var(y)

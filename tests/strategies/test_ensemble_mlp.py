"""BANANAS' predictor: a batched ensemble of MLPs fitted in torch."""

from __future__ import annotations

import numpy as np

from nasforge.strategies.ensemble_mlp import EnsembleMLP


def test_members_differ_by_initialisation_and_a_seed_repeats_a_fit() -> None:
    x, y = np.random.default_rng(0).normal(size=(30, 5)), np.random.default_rng(1).normal(size=30)
    first = EnsembleMLP(3, np.random.default_rng(7)).fit(x, y).predict(x)
    again = EnsembleMLP(3, np.random.default_rng(7)).fit(x, y).predict(x)
    np.testing.assert_array_equal(first, again)
    assert first.shape == (3, 30) and np.all(first.std(axis=0) > 0)  # the members disagree


def test_the_fitted_ensemble_learns_a_smooth_function() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(200, 3))
    y = x[:, 0] - 2 * x[:, 1] ** 2
    model = EnsembleMLP(4, rng).fit(x, y)
    predicted = model.predict(x)
    assert predicted.shape == (4, 200)
    assert np.mean((predicted.mean(axis=0) - y) ** 2) < 0.1 * np.var(y)

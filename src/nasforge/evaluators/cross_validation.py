"""K-fold cross-validation of one architecture on the training and validation examples together:
on small tables it ranks architectures far more steadily than a few dozen validation examples."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from nasforge.data.dataset import Dataset, Split
from nasforge.evaluators.base import Artifacts, Result

CV_FOLDS = 5
CV_BELOW = 2000  # training + validation examples below which a table is cross-validated


def folds_of(data: Dataset, k: int, seed: int) -> list[Dataset]:
    """`k` datasets whose validation split is one fold of train + valid and whose training split
    is the rest (the test split untouched), seeded.

    Example:
        >>> from nasforge.data import load_dataset
        >>> parts = folds_of(load_dataset("digits"), 5, 0)
        >>> [len(p.valid) for p in parts], len(parts[0].train) + len(parts[0].valid)
        ([288, 288, 288, 287, 287], 1438)
    """
    both = data.train_and_valid()
    x, y = both.x, both.y
    order = np.random.default_rng(seed).permutation(len(y))
    parts = np.array_split(order, k)
    out = []
    for i in range(k):
        held = np.sort(parts[i])
        kept = np.sort(np.concatenate([p for j, p in enumerate(parts) if j != i]))
        out.append(replace(data, train=Split(x[kept], y[kept]), valid=Split(x[held], y[held])))
    return out


def cross_validate(train: Callable[[Dataset], Result], data: Dataset, k: int, seed: int) -> Result:
    """Train once per fold (`train(fold)`); the validation metrics and curves are the folds'
    means, the other metrics the last fold's, the cost their sum; the first failure ends it."""
    results: list[Result] = []
    for fold in folds_of(data, k, seed):
        result = train(fold)
        if result.error is not None:
            return result
        results.append(result)
    metrics = dict(results[-1].metrics)
    for name in metrics:
        if name.startswith("valid_"):
            metrics[name] = float(np.mean([r.metrics[name] for r in results]))
    metrics["cv_folds"] = float(k)
    curves = {
        name: np.mean([r.artifacts.curves[name] for r in results], axis=0).tolist()
        for name in results[-1].artifacts.curves
        if all(
            len(r.artifacts.curves.get(name, [])) == len(results[-1].artifacts.curves[name]) for r in results
        )
    }
    artifacts = Artifacts(curves=curves, timings=results[-1].artifacts.timings)
    return Result(metrics, sum(r.cost_s for r in results), artifacts)

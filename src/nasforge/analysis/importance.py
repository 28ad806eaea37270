"""Which knobs matter: grouped permutation importance of a random forest, out of fold.

A random forest (scikit-learn) learns the objective from the knob values; each knob's columns
(all blocks of a chain together) are permuted in held-out folds, and the loss of R² is that
knob's importance. The forest's own held-out R² says how much of the objective the knobs explain
at all: below `MIN_EXPLAINED` no knob is called important or unimportant.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nasforge.analysis.knob_data import KnobData

METHOD = "random-forest grouped permutation importance (scikit-learn), 5-fold out of fold"
MIN_TRIALS = 12
MIN_EXPLAINED = 0.2
FOLDS = 5
REPEATS = 5


def knob_importance(data: KnobData, seed: int = 0) -> dict[str, Any]:
    """`{"method", "n", "r2", "knobs": [{"knob", "importance", "std", "best_value"}, ...]}`,
    knobs by importance, highest first (empty with fewer than `MIN_TRIALS` trials)."""
    groups = data.knobs()
    out: dict[str, Any] = {"method": METHOD, "n": len(data.y), "r2": None, "knobs": [], "note": None}
    if len(data.y) < MIN_TRIALS:
        out["note"] = f"needs at least {MIN_TRIALS} complete trials; the study has {len(data.y)}"
        return out
    if not groups:
        out["note"] = "the study's space has no knobs to compare"
        return out
    names = [n for members in groups.values() for n in members]
    x = np.column_stack([codes(data.column(n)) for n in names])
    index = {n: i for i, n in enumerate(names)}
    r2, drops = _permutation_drops(x, data.y, {k: [index[m] for m in v] for k, v in groups.items()}, seed)
    out["r2"] = r2
    for knob, values in sorted(drops.items(), key=lambda kv: -float(np.mean(kv[1]))):
        out["knobs"].append(
            {
                "knob": knob,
                "importance": float(np.mean(values)),
                "std": float(np.std(values)),
                "best_value": best_value(data, groups[knob]),
            }
        )
    return out


def _permutation_drops(
    x: np.ndarray, y: np.ndarray, groups: dict[str, list[int]], seed: int
) -> tuple[float, dict[str, list[float]]]:
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.metrics import r2_score
    from sklearn.model_selection import KFold

    rng = np.random.default_rng(seed)
    variance = float(np.var(y)) or 1.0
    predicted = np.empty_like(y)
    drops: dict[str, list[float]] = {k: [] for k in groups}
    for train, test in KFold(min(FOLDS, len(y)), shuffle=True, random_state=seed).split(x):
        forest = RandomForestRegressor(n_estimators=100, min_samples_leaf=2, random_state=seed, n_jobs=1)
        forest.fit(x[train], y[train])
        predicted[test] = forest.predict(x[test])
        base = float(np.mean((y[test] - predicted[test]) ** 2))
        batches, owners = [], []
        for knob, columns in groups.items():
            for _ in range(REPEATS):
                shuffled = x[test].copy()
                shuffled[:, columns] = shuffled[rng.permutation(len(test))][:, columns]
                batches.append(shuffled)
                owners.append(knob)
        outputs = forest.predict(np.vstack(batches)).reshape(len(batches), len(test))  # one call: fast
        for knob, output in zip(owners, outputs, strict=True):  # R² lost, against the total variance
            drops[knob].append((float(np.mean((y[test] - output) ** 2)) - base) / variance)
    return float(r2_score(y, predicted)), drops


def best_value(data: KnobData, features: list[str]) -> Any:
    """The knob's value whose trials (any block) have the best mean objective, among values seen
    in at least 3 trials (else in any)."""
    seen: dict[Any, list[float]] = {}
    for feature in features:
        for value, y in zip(data.column(feature), data.y, strict=True):
            if value is not None:
                seen.setdefault(value, []).append(float(y))
    enough = {v: ys for v, ys in seen.items() if len(ys) >= 3} or seen
    return max(enough, key=lambda v: float(np.mean(enough[v]))) if enough else None


def codes(values: list[Any]) -> np.ndarray:
    """Numbers stay numbers (booleans 0/1); other values become ordinal codes; absent is -1."""
    if all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values):
        return np.array([-1.0 if v is None else float(v) for v in values])
    order = {v: i for i, v in enumerate(sorted({str(v) for v in values if v is not None}))}
    return np.array([-1.0 if v is None else float(order[str(v)]) for v in values])

"""Reference baselines for a table: classical models fitted on the study's own training split,
so that a user sees whether the searched network beats them."""

from __future__ import annotations

from typing import Any

from nasforge.errors import NasforgeError
from nasforge.evaluators import make_evaluator


def reference_baselines(evaluator_config: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A standardised logistic (or linear) regression and gradient-boosted trees, fitted on
    the training split of the study's table and scored on its validation and test splits, as
    the retrained winner is; empty for data that is not a table.

    Example:
        >>> # reference_baselines(StudyView("runs/wine-mlp.db").config.evaluator)
    """
    if evaluator_config is None or evaluator_config.get("name") != "training":
        return []
    try:
        data = make_evaluator(evaluator_config).full_dataset()  # type: ignore[attr-defined]
    except (NasforgeError, OSError):
        return []
    if data.modality != "table":
        return []
    from sklearn import ensemble, linear_model
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    models = {
        "logistic regression": make_pipeline(
            StandardScaler(), linear_model.LogisticRegression(max_iter=5000)
        ),
        "gradient-boosted trees": ensemble.HistGradientBoostingClassifier(random_state=0),
    }
    if data.regression:
        models = {
            "linear regression": make_pipeline(StandardScaler(), linear_model.LinearRegression()),
            "gradient-boosted trees": ensemble.HistGradientBoostingRegressor(random_state=0),
        }
    flat = {
        split: getattr(data, split).x.reshape(len(getattr(data, split)), -1)
        for split in ("train", "valid", "test")
    }
    out = []
    for name, model in models.items():
        model.fit(flat["train"], data.train.y)
        metric = "r2" if data.regression else "accuracy"  # `score`: R² of a regressor (any units)
        scores = {f"{s}_{metric}": float(model.score(flat[s], getattr(data, s).y)) for s in ("valid", "test")}
        out.append({"name": name, **scores})
    return out

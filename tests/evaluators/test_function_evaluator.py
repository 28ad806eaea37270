"""The user's own training as an evaluator: metrics and curves stored, a regression objective,
early stopping by the median rule, in a two-worker process pool."""

from __future__ import annotations

import pytest

from nasforge import InvalidArgumentError, Study, TrialState, make_executor, make_space
from nasforge.evaluators import FunctionEvaluator

SPACE = {"name": "user", "function": "tests.spaces.user_spaces:linear_fit"}


def evaluator() -> FunctionEvaluator:
    return FunctionEvaluator(
        function="tests.spaces.user_spaces:regression",
        metrics={"valid_mse": "minimize", "valid_r2": "maximize"},
    )


def test_a_regression_search_in_two_workers_stops_trials_behind_the_median() -> None:
    settings = {"pruner": "median", "prune_after": 3}
    study = Study.create(make_space(SPACE), "random", seed=0, objective="valid_mse", direction="minimize",
                         settings=settings)  # fmt: skip
    executor = make_executor(2)
    try:
        study.optimize(evaluator(), 24, executor=executor)
    finally:
        executor.shutdown()
    states = [t.state for t in study.trials]
    pruned = [t for t in study.trials if t.state is TrialState.PRUNED]
    assert len(study.trials) == 24 and TrialState.FAILED not in states
    assert pruned and all(
        t.step is not None and t.step < t.genotype.spec[1][1] for t in pruned
    )  # stopped early
    best = study.best_trial
    assert best is not None and best.metrics["valid_r2"] > 0.9 and best.metrics["valid_mse"] < 2.0
    curve = study.storage.load_curves(best.number)["valid_mse"]
    assert len(curve) == dict(best.genotype.spec)["steps"] and curve[-1] == best.metrics["valid_mse"]


def test_bad_functions_and_metric_declarations_are_refused_by_name() -> None:
    with pytest.raises(InvalidArgumentError, match="metrics\\['valid_mse'\\] must be one of"):
        FunctionEvaluator(function="tests.spaces.user_spaces:regression", metrics={"valid_mse": "lower"})
    with pytest.raises(InvalidArgumentError, match=r"tests\.spaces\.user_spaces has no 'missing'"):
        FunctionEvaluator(function="tests.spaces.user_spaces:missing")
    study = Study.create(make_space(SPACE), "random", seed=0, objective="valid_r2")
    with pytest.raises(InvalidArgumentError, match="objective must be a metric of the evaluator: valid_mse"):
        study.optimize(FunctionEvaluator(function="tests.spaces.user_spaces:regression",
                                         metrics={"valid_mse": "minimize"}), 2)  # fmt: skip

"""The user's own training as an evaluator: metrics and curves stored, a regression objective,
early stopping by the median rule, in a two-worker process pool."""

from __future__ import annotations

import numpy as np
import pytest

from nasforge import InvalidArgumentError, Study, TrialState, make_executor, make_space
from nasforge.evaluators import FunctionEvaluator
from nasforge.evaluators.base import run_evaluation

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


def test_the_median_rule_compares_equal_steps_of_a_function_reporting_every_tenth() -> None:
    study = Study.create(make_space(SPACE), "random", seed=0, objective="valid_mse", direction="minimize",
                         settings={"pruner": "median", "prune_after": 3})  # fmt: skip
    study.optimize(FunctionEvaluator(function="tests.spaces.user_spaces:sparse_regression",
                                     metrics={"valid_mse": "minimize"}), 24)  # fmt: skip
    pruned = [t for t in study.trials if t.state is TrialState.PRUNED]
    assert pruned and all(t.step is not None and t.step % 10 == 0 for t in pruned)
    points = study.storage.load_curve_points(study.best_trial.number)["valid_mse"]
    assert sorted(points) == [10 * i for i in range(len(points))]  # stored at the user's steps


def test_numpy_scalars_are_accepted_and_shared_data_cannot_be_changed_in_place() -> None:
    space = make_space(SPACE)
    genotype = space.sample(np.random.default_rng(0))
    numpy_result = FunctionEvaluator(function="tests.spaces.user_spaces:numpy_score").evaluate(
        genotype, space
    )
    assert numpy_result.error is None and numpy_result.metrics["score"] == pytest.approx(
        space.values(genotype)["learning_rate"], rel=1e-6
    )
    rescaling = FunctionEvaluator(function="tests.spaces.user_spaces:rescale_in_place", data="digits")
    failed = run_evaluation(rescaling, genotype, space, None)
    assert failed.error is not None and "read-only" in failed.error
    assert rescaling.dataset().train.x.std() == pytest.approx(1.0, abs=0.2)  # unchanged for later trials


def test_call_model_leaves_the_global_torch_generator_alone() -> None:
    import torch

    from nasforge.evaluators.function import Call

    space = make_space({"name": "user", "function": "tests.spaces.user_spaces:cnn"})
    evaluator = FunctionEvaluator(function="tests.spaces.user_spaces:score_call", data="digits")
    call = Call({}, space.sample(np.random.default_rng(0)), space, None, evaluator.dataset(), 0)
    torch.manual_seed(123)
    expected = torch.rand(1)
    torch.manual_seed(123)
    first, second = call.model(), call.model()
    assert torch.rand(1) == expected  # the caller's stream goes on as if nothing had happened
    assert all(torch.equal(a, b) for a, b in zip(first.parameters(), second.parameters(), strict=True))

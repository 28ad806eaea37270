"""An existing Optuna objective runs unchanged: its suggestions are the knobs, its value the metric,
its `report`/`should_prune` the study's early stopping; any nasforge strategy searches it."""

from __future__ import annotations

import pytest

import nasforge
from nasforge import Study, TrialState
from tests.spaces import user_spaces


@pytest.mark.parametrize("strategy", ["genetic", "annealing", "evolution", "bananas", "tpe"])
def test_the_optuna_quickstart_is_searched_by_nasforge_strategies(strategy: str) -> None:
    space, evaluator = nasforge.from_optuna(user_spaces.quickstart)
    study = Study.create(space, strategy, seed=0, objective="value", direction="minimize")
    study.optimize(evaluator, budget=40)
    assert list(study.best_params) == ["x"] and -10 <= study.best_params["x"] <= 10
    assert study.best_value == pytest.approx((study.best_params["x"] - 2) ** 2)
    assert study.best_value < 1.0  # (x - 2)^2 over [-10, 10]: the start is 36 on average


def test_conditional_knobs_intermediate_values_and_pruning() -> None:
    space, evaluator = nasforge.from_optuna("tests.spaces.user_spaces:optuna_training")
    assert list(space.domains) == ["lr", "optimizer", "momentum"]
    study = Study.create(
        space, "random", seed=0, objective="value", direction="minimize", settings={"pruner": "median"}
    )
    study.optimize(evaluator, budget=20)
    states = [t.state for t in study.trials]
    assert TrialState.FAILED not in states and TrialState.PRUNED in states
    adam = [t for t in study.trials if space.values(t.genotype)["optimizer"] == "adam"]
    assert adam and all("momentum" not in space.values(t.genotype) for t in adam)
    curve = study.storage.load_curve_points(study.best_trial.number)["value"]
    assert sorted(curve) == list(range(8)) and curve[7] == study.best_value


def test_a_direction_other_than_minimize_or_maximize_is_refused() -> None:
    with pytest.raises(nasforge.InvalidArgumentError, match="direction must be one of"):
        nasforge.from_optuna(user_spaces.quickstart, "lower")

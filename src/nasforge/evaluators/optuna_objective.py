"""An existing Optuna objective as a nasforge space and evaluator (`from_optuna`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nasforge.evaluators.function import FunctionEvaluator
from nasforge.spaces.define_by_run.space import UserSpace
from nasforge.validation import check_choice


def from_optuna(
    objective: str | Callable[[Any], Any], direction: str = "minimize", *, metric: str = "value"
) -> tuple[UserSpace, FunctionEvaluator]:
    """The space of an Optuna objective's `trial.suggest_*` calls and an evaluator that runs it:
    any nasforge strategy then searches it unchanged.

    Args:
        objective: `def objective(trial) -> float`, or its import path (`file.py:objective`).
        direction: "minimize" (Optuna's default) or "maximize".
        metric: the name its return value is stored under.

    Example:
        >>> import nasforge
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", -10, 10)
        ...     return (x - 2) ** 2
        >>> space, evaluator = nasforge.from_optuna(objective)
        >>> study = nasforge.Study.create(space, "annealing", seed=0, objective="value", direction="minimize")
        >>> study.optimize(evaluator, budget=30)
        >>> study.best_value < 1
        True
    """
    check_choice("direction", direction, ("minimize", "maximize"))
    space = UserSpace(function=objective, interface="optuna")
    evaluator = FunctionEvaluator(function=objective, metrics={metric: direction}, interface="optuna")
    return space, evaluator

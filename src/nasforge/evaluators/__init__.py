"""Evaluators, by name."""

from __future__ import annotations

from typing import Any

from nasforge.errors import InvalidArgumentError
from nasforge.evaluators.base import Evaluator, Result, run_evaluation
from nasforge.evaluators.proxy import ProxyEvaluator
from nasforge.evaluators.tabular import TabularEvaluator
from nasforge.evaluators.training import TrainingEvaluator
from nasforge.registry import Registry

EVALUATORS: Registry[Evaluator] = Registry("evaluator")
EVALUATORS.register("table", TabularEvaluator)
EVALUATORS.register("training", TrainingEvaluator)
EVALUATORS.register("proxy", ProxyEvaluator)


def make_evaluator(config: dict[str, Any]) -> Evaluator:
    """Rebuild an evaluator from `Evaluator.config()` output."""
    if "name" not in config:
        raise InvalidArgumentError(f"evaluator config needs a 'name', got {config!r}")
    return EVALUATORS.create(config["name"], **{k: v for k, v in config.items() if k != "name"})


__all__ = [
    "EVALUATORS",
    "Evaluator",
    "Result",
    "TabularEvaluator",
    "TrainingEvaluator",
    "make_evaluator",
    "run_evaluation",
]

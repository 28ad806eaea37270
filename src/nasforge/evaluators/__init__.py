"""Evaluators, by name. The classes load on first use, so listing them imports no torch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nasforge.errors import InvalidArgumentError
from nasforge.evaluators.base import Artifacts, EvalOptions, Evaluator, Result, run_evaluation
from nasforge.evaluators.schema import MetricSpec

if TYPE_CHECKING:
    from nasforge.evaluators.function import FunctionEvaluator
    from nasforge.evaluators.proxy import ProxyEvaluator
    from nasforge.evaluators.tabular import TabularEvaluator
    from nasforge.evaluators.training import TrainingEvaluator
    from nasforge.evaluators.training_settings import DataSource, Hardware, Limits, Measurements, Recipe
from nasforge._registry import Registry, lazy_getattr

_CLASSES = {
    "table": "nasforge.evaluators.tabular:TabularEvaluator",
    "training": "nasforge.evaluators.training:TrainingEvaluator",
    "proxy": "nasforge.evaluators.proxy:ProxyEvaluator",
    "function": "nasforge.evaluators.function:FunctionEvaluator",
    "supernet": "nasforge.oneshot.evaluator:SupernetEvaluator",
}
EVALUATORS: Registry[Evaluator] = Registry.lazy("evaluator", _CLASSES)


def make_evaluator(config: dict[str, Any]) -> Evaluator:
    """Rebuild an evaluator from `Evaluator.config()` output."""
    if "name" not in config:
        raise InvalidArgumentError(f"evaluator config needs a 'name', got {config!r}")
    return EVALUATORS.create(config["name"], **{k: v for k, v in config.items() if k != "name"})


_SETTINGS = {
    name: f"nasforge.evaluators.training_settings:{name}"
    for name in ("DataSource", "Hardware", "Limits", "Measurements", "Recipe")
}
__getattr__ = lazy_getattr(__name__, {**EVALUATORS.class_paths(), **_SETTINGS})


__all__ = [
    "EVALUATORS",
    "Artifacts",
    "DataSource",
    "EvalOptions",
    "Evaluator",
    "FunctionEvaluator",
    "Hardware",
    "Limits",
    "Measurements",
    "MetricSpec",
    "ProxyEvaluator",
    "Recipe",
    "Result",
    "TabularEvaluator",
    "TrainingEvaluator",
    "make_evaluator",
    "run_evaluation",
]

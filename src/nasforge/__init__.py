"""nasforge: neural architecture search that persists, compares theory with practice, and ships.

`import nasforge` is instant: every public name is imported on first use, and nothing that
needs torch, scikit-learn or SciPy loads until a model is built, trained or analysed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nasforge._registry import lazy_getattr

if TYPE_CHECKING:
    from nasforge.deploy.export import export_model as export
    from nasforge.deploy.load import load_model as load
    from nasforge.deploy.serve import serve
    from nasforge.errors import (
        InvalidArgumentError,
        InvalidGenotypeError,
        NasforgeError,
        SpaceExhaustedError,
        StudyError,
        TableError,
    )
    from nasforge.evaluators import EVALUATORS, EvalOptions, Evaluator, MetricSpec, Result, make_evaluator
    from nasforge.evaluators.function import FunctionEvaluator
    from nasforge.evaluators.optuna_objective import from_optuna
    from nasforge.evaluators.proxy import ProxyEvaluator
    from nasforge.evaluators.tabular import TabularEvaluator
    from nasforge.evaluators.training import TrainingEvaluator
    from nasforge.evaluators.training_settings import DataSource, Hardware, Limits, Measurements, Recipe
    from nasforge.execution.executors import ProcessExecutor, SerialExecutor, make_executor
    from nasforge.execution.ray_executor import RayExecutor
    from nasforge.genotype import Genotype
    from nasforge.objectives import Constraint, Objective
    from nasforge.spaces import SPACES, NB201Space, SearchSpace, UserSpace, make_space
    from nasforge.spaces.define_by_run import space
    from nasforge.strategies import STRATEGIES, Strategy, make_strategy
    from nasforge.study.record import StudyView
    from nasforge.study.storage import Storage
    from nasforge.study.study import Study
    from nasforge.task import Task
    from nasforge.trial import Candidate, Retrain, Trial, TrialState

__version__ = "0.3.0"

_WHERE = {
    "nasforge.errors": (
        "InvalidArgumentError InvalidGenotypeError NasforgeError SpaceExhaustedError StudyError TableError"
    ),
    "nasforge.evaluators": "EVALUATORS EvalOptions Evaluator MetricSpec Result make_evaluator",
    "nasforge.evaluators.function": "FunctionEvaluator",
    "nasforge.evaluators.optuna_objective": "from_optuna",
    "nasforge.evaluators.proxy": "ProxyEvaluator",
    "nasforge.evaluators.tabular": "TabularEvaluator",
    "nasforge.evaluators.training": "TrainingEvaluator",
    "nasforge.evaluators.training_settings": "DataSource Hardware Limits Measurements Recipe",
    "nasforge.execution.executors": "ProcessExecutor SerialExecutor make_executor",
    "nasforge.genotype": "Genotype",
    "nasforge.objectives": "Constraint Objective",
    "nasforge.execution.ray_executor": "RayExecutor",
    "nasforge.spaces": "SPACES NB201Space SearchSpace UserSpace make_space",
    "nasforge.study.storage": "Storage",
    "nasforge.strategies": "STRATEGIES Strategy make_strategy",
    "nasforge.study.study": "Study",
    "nasforge.task": "Task",
    "nasforge.trial": "Candidate Retrain Trial TrialState",
    "nasforge.study.record": "StudyView",
}
_PATHS = {name: f"{module}:{name}" for module, names in _WHERE.items() for name in names.split()}
_PATHS["load"] = "nasforge.deploy.load:load_model"
_PATHS["export"] = "nasforge.deploy.export:export_model"
_PATHS["compress"] = "nasforge.deploy.compress.run:compress"
_PATHS["serve"] = "nasforge.deploy.serve:serve"
_PATHS["space"] = "nasforge.spaces.define_by_run:space"
__getattr__ = lazy_getattr(__name__, _PATHS)
__all__ = [
    "EVALUATORS",
    "SPACES",
    "STRATEGIES",
    "Candidate",
    "Constraint",
    "DataSource",
    "EvalOptions",
    "Evaluator",
    "FunctionEvaluator",
    "Genotype",
    "Hardware",
    "InvalidArgumentError",
    "InvalidGenotypeError",
    "Limits",
    "Measurements",
    "MetricSpec",
    "NB201Space",
    "NasforgeError",
    "Objective",
    "ProcessExecutor",
    "ProxyEvaluator",
    "RayExecutor",
    "Recipe",
    "Result",
    "Retrain",
    "SearchSpace",
    "SerialExecutor",
    "SpaceExhaustedError",
    "Storage",
    "Strategy",
    "Study",
    "StudyError",
    "StudyView",
    "TableError",
    "TabularEvaluator",
    "Task",
    "TrainingEvaluator",
    "Trial",
    "TrialState",
    "UserSpace",
    "__version__",
    "compress",
    "export",
    "from_optuna",
    "load",
    "make_evaluator",
    "make_executor",
    "make_space",
    "make_strategy",
    "serve",
    "space",
]

"""nasforge: neural architecture search that persists, compares theory with practice, and ships."""

from __future__ import annotations

from nasforge.errors import (
    InvalidArgumentError,
    InvalidGenotypeError,
    NasforgeError,
    SpaceExhaustedError,
    StudyError,
    TableError,
)
from nasforge.evaluators import EVALUATORS, Evaluator, Result, TabularEvaluator, make_evaluator
from nasforge.executors import ProcessExecutor, SerialExecutor, make_executor
from nasforge.genotype import Genotype
from nasforge.spaces import SPACES, NB201Space, SearchSpace, make_space
from nasforge.storage import Storage
from nasforge.strategies import STRATEGIES, Strategy, make_strategy
from nasforge.study import Study
from nasforge.task import Task
from nasforge.trial import Candidate, Trial, TrialState

__version__ = "0.1.0"

__all__ = [
    "EVALUATORS",
    "SPACES",
    "STRATEGIES",
    "Candidate",
    "Evaluator",
    "Genotype",
    "InvalidArgumentError",
    "InvalidGenotypeError",
    "NB201Space",
    "NasforgeError",
    "ProcessExecutor",
    "Result",
    "SearchSpace",
    "SerialExecutor",
    "SpaceExhaustedError",
    "Storage",
    "Strategy",
    "Study",
    "StudyError",
    "TableError",
    "TabularEvaluator",
    "Task",
    "Trial",
    "TrialState",
    "__version__",
    "make_evaluator",
    "make_executor",
    "make_space",
    "make_strategy",
]

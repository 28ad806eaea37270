"""The public names: every one resolves, and the packages' lazy names point at real objects."""

from __future__ import annotations

import importlib

import pytest

import nasforge

# `nasforge.__all__` of release 0.2, before the code moved into packages: each must still resolve.
RELEASE_0_2 = [
    "EVALUATORS",
    "SPACES",
    "STRATEGIES",
    "Candidate",
    "Constraint",
    "EvalOptions",
    "Evaluator",
    "Genotype",
    "InvalidArgumentError",
    "InvalidGenotypeError",
    "MetricSpec",
    "NB201Space",
    "NasforgeError",
    "Objective",
    "ProcessExecutor",
    "ProxyEvaluator",
    "RayExecutor",
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
    "__version__",
    "compress",
    "export",
    "load",
    "make_evaluator",
    "make_executor",
    "make_space",
    "make_strategy",
    "serve",
]


@pytest.mark.parametrize("name", sorted(set(nasforge.__all__) | set(RELEASE_0_2)))
def test_every_public_name_resolves(name: str) -> None:
    assert name in nasforge.__all__
    assert getattr(nasforge, name) is not None


@pytest.mark.parametrize("package", ["nasforge.study", "nasforge.execution", "nasforge.deploy"])
def test_each_package_exports_what_it_lists(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        module.nothing_here  # noqa: B018


def test_the_top_level_names_are_the_packages_own_objects() -> None:
    from nasforge.deploy.load import load_model
    from nasforge.study.record import StudyView
    from nasforge.study.study import Study

    assert nasforge.Study is Study and nasforge.StudyView is StudyView and nasforge.load is load_model

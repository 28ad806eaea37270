"""Every registered strategy must pass these checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasforge import STRATEGIES, InvalidArgumentError, NB201Space, Study, TabularEvaluator, TrialState
from tests.helpers import FailingEvaluator

NAMES = STRATEGIES.names()


def run(name: str, budget: int, seed: int = 0, path: Path | None = None) -> Study:
    study = Study.create(NB201Space(), name, seed=seed, path=path)
    study.optimize(TabularEvaluator(), budget)
    return study


def archs(study: Study) -> list[str]:
    return [study.space.format(t.genotype) for t in study.trials]


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_search_other_seed_other_search(name: str) -> None:
    assert archs(run(name, 60, seed=1)) == archs(run(name, 60, seed=1))
    assert archs(run(name, 60, seed=1)) != archs(run(name, 60, seed=2))


@pytest.mark.parametrize("name", NAMES)
def test_never_queries_an_architecture_twice(name: str) -> None:
    study = run(name, 400, seed=5)
    keys = [t.key for t in study.trials]
    assert len(keys) == 400
    assert len(set(keys)) == len(keys)
    for trial in study.trials:
        study.space.validate(trial.genotype)
        assert trial.state is TrialState.COMPLETE


@pytest.mark.parametrize("name", NAMES)
def test_resume_from_store_continues_the_same_search(name: str, tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    first = run(name, 35, seed=3, path=path)
    first.close()
    resumed = Study.create(NB201Space(), name, seed=3, path=path)
    assert len(resumed.trials) == 35
    resumed.optimize(TabularEvaluator(), 80)
    assert archs(resumed) == archs(run(name, 80, seed=3))


@pytest.mark.parametrize("name", NAMES)
def test_failed_trials_are_recorded_and_search_goes_on(name: str) -> None:
    study = Study.create(NB201Space(), name, seed=0)
    study.optimize(FailingEvaluator(), 120)
    failed = [t for t in study.trials if t.state is TrialState.FAILED]
    assert len(study.trials) == 120
    assert any("injected failure" in (t.reason or "") for t in failed)
    assert any("non-finite" in (t.reason or "") for t in failed)
    assert all(t.score is None for t in failed)
    assert study.best_trial is not None and study.best_trial.genotype.spec[0] not in ("none", "avg_pool_3x3")


@pytest.mark.parametrize("name", NAMES)
def test_unknown_hyperparameter_is_named(name: str) -> None:
    with pytest.raises(InvalidArgumentError, match="no_such_knob"):
        STRATEGIES.create(name, NB201Space(), no_such_knob=1)
    with pytest.raises(InvalidArgumentError, match="seed"):
        STRATEGIES.create(name, NB201Space(), seed=-1)


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("evolution", {"population_size": 1}, "population_size"),
        ("evolution", {"population_size": 5, "sample_size": 6}, "sample_size"),
        ("genetic", {"crossover": "two_point"}, "crossover"),
        ("genetic", {"mutation_rate": 1.5}, "mutation_rate"),
        ("genetic", {"elitism": 20}, "elitism"),
        ("annealing", {"cooling": "cubic"}, "cooling"),
        ("annealing", {"cooling_rate": 1.5}, "cooling_rate"),
        ("annealing", {"initial_temperature": "hot"}, "initial_temperature"),
        ("local", {"improvement": "greedy"}, "improvement"),
        ("local", {"initial_samples": 0}, "initial_samples"),
    ],
)
def test_bad_hyperparameters_get_clear_errors(name: str, params: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        STRATEGIES.create(name, NB201Space(), **params)

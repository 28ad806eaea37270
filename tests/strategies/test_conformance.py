"""Every registered strategy must pass these checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasforge import STRATEGIES, InvalidArgumentError, NB201Space, Study, TabularEvaluator, TrialState
from tests.helpers import FailingEvaluator

NAMES = STRATEGIES.names()


def multi_fidelity(name: str) -> bool:
    return STRATEGIES.get(name).multi_fidelity


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


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_never_queries_an_architecture_twice(name: str) -> None:
    study = run(name, 400, seed=5)
    pairs = [(t.key, t.fidelity) for t in study.trials]
    assert len(pairs) == 400
    assert len(set(pairs)) == len(pairs)
    if not multi_fidelity(name):  # a multi-fidelity strategy runs an architecture again higher up
        assert len({t.key for t in study.trials}) == 400
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


def multi_objective(name: str, seed: int, path: Path | None = None) -> Study:
    return Study.create(
        NB201Space(),
        name,
        seed=seed,
        objective=["valid", "params"],
        direction=["maximize", "minimize"],
        constraints=["params<=6e5"],
        path=path,
    )


@pytest.mark.parametrize("name", NAMES)
def test_vector_objectives_are_deterministic_and_resumable(name: str, tmp_path: Path) -> None:
    first, second = multi_objective(name, 4), multi_objective(name, 4, tmp_path / "m.db")
    first.optimize(TabularEvaluator(), 40)
    second.optimize(TabularEvaluator(), 25)
    second.close()
    resumed = Study.load(tmp_path / "m.db")
    resumed.optimize(TabularEvaluator(), 40)
    assert archs(resumed) == archs(first)
    assert all(t.values is not None and len(t.values) == 2 for t in first.trials)
    assert len({(t.key, t.fidelity) for t in first.trials}) == 40 and first.pareto_front()


@pytest.mark.parametrize("name", NAMES)
def test_promotions_to_a_higher_fidelity_are_new_trials_and_resume(name: str, tmp_path: Path) -> None:
    if multi_fidelity(name):
        pytest.skip("it promotes by itself (tests/strategies/test_multi_fidelity.py)")
    path = tmp_path / "f.db"
    study = Study.create(NB201Space(), name, seed=6, path=path)
    study.optimize(TabularEvaluator(epochs=12), 10)  # cheap fidelity: 12 epochs
    for trial in study.leaderboard(3):
        study.promote(trial, 200)
    assert study.leaderboard(1)[0].fidelity is None  # promotions are queued, not yet run
    with pytest.raises(InvalidArgumentError, match="already run at fidelity 200"):
        study.promote(study.leaderboard(1)[0], 200)
    study.optimize(TabularEvaluator(epochs=12), 16)
    promoted = [t for t in study.trials if t.origin == "promotion"]
    assert [t.fidelity for t in promoted] == [200, 200, 200]
    assert all(t.state is TrialState.COMPLETE for t in promoted)
    pairs = [(t.key, t.fidelity) for t in study.trials]
    assert len(set(pairs)) == len(pairs) and len({t.key for t in study.trials}) == 13
    study.close()
    resumed = Study.load(path)  # replay skips promotions and tells them in order
    resumed.optimize(TabularEvaluator(epochs=12), 20)
    reference = Study.create(NB201Space(), name, seed=6)
    reference.optimize(TabularEvaluator(epochs=12), 10)
    assert [t.key for t in resumed.trials[:10]] == [t.key for t in reference.trials]

"""Every registered strategy on two user-defined (define-by-run) spaces, with a function evaluator:
the same seed gives the same search, every candidate is valid, none is evaluated twice, and a
resumed study continues the same search."""

from __future__ import annotations

from pathlib import Path

import pytest

from nasforge import STRATEGIES, Study, Trial, TrialState, make_space
from nasforge.evaluators import FunctionEvaluator

SPACES = ["tests.spaces.user_spaces:cnn", "tests.spaces.user_spaces:knobs_only"]
EVALUATOR = FunctionEvaluator(function="tests.spaces.user_spaces:score_call", metrics={"score": "maximize"})


def run(name: str, function: str, budget: int, seed: int, path: Path | None = None) -> Study:
    study = Study.create(make_space({"name": "user", "function": function}), name, seed=seed, path=path,
                         objective="score")  # fmt: skip
    study.optimize(EVALUATOR, budget)
    return study


@pytest.mark.slow
@pytest.mark.parametrize("function", SPACES, ids=["cnn", "knobs_only"])
@pytest.mark.parametrize("name", STRATEGIES.names())
def test_every_strategy_searches_a_user_space(name: str, function: str, tmp_path: Path) -> None:
    first = run(name, function, 30, seed=4, path=tmp_path / "s.db")
    keys = [t.key for t in first.trials]
    assert keys == [t.key for t in run(name, function, 30, seed=4).trials]  # reproducible
    assert len({(t.key, t.fidelity) for t in first.trials}) == 30  # never the same twice
    for trial in first.trials:
        first.space.validate(trial.genotype)
        assert trial.reason is None, trial.reason
    first.close()
    resumed = Study.load(tmp_path / "s.db")
    resumed.optimize(EVALUATOR, 45)
    assert [t.key for t in resumed.trials] == [t.key for t in run(name, function, 45, seed=4).trials]


def test_tpe_proposes_from_the_knobs_real_distributions() -> None:
    """A log-uniform float stays continuous (not 16 grid levels), and a knob on a branch not taken
    is never asked of Optuna (its trials have no value for it)."""
    from nasforge.strategies.tpe import TPE
    from tests.spaces.user_spaces import knobs_only, score

    strategy = TPE(knobs_only, startup=5, seed=0)
    for _ in range(30):
        (candidate,) = strategy.ask(1)
        values = knobs_only.values(candidate.genotype)
        key = knobs_only.key(candidate.genotype)
        strategy.tell(Trial(0, candidate.genotype, key, score=score(values), state=TrialState.COMPLETE))
    trials = strategy._study.trials
    rates = {t.params["learning_rate"] for t in trials}
    assert len(rates) == len(trials) and not rates <= set(knobs_only.domains["learning_rate"].grid())
    for t in trials:
        assert ("momentum" in t.params) == (t.params["optimizer"] == "sgd")
        assert type(t.distributions["learning_rate"]).__name__ == "FloatDistribution"
        assert t.distributions["learning_rate"].log

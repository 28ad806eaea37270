"""Successive halving, Hyperband, ASHA and BOHB: rungs, promotions, brackets, and real training."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nasforge import InvalidArgumentError, NB201Space, Study, TabularEvaluator, Trial, TrialState
from nasforge.spaces import MacroSpace
from nasforge.strategies import STRATEGIES
from nasforge.strategies.multi_fidelity import ladder


def table_search(name: str, budget: int, **params: object) -> Study:
    study = Study.create(NB201Space(), name, seed=7, strategy_params=params)
    study.optimize(TabularEvaluator(), budget)
    return study


def test_rungs_come_from_the_range_and_eta_or_are_given() -> None:
    assert ladder(None, None, 27, 3, MacroSpace()) == (1, 3, 9, 27)
    assert ladder(None, 2, 50, 2, MacroSpace()) == (3, 6, 12, 25, 50)
    assert ladder(None, None, None, 3, NB201Space()) == (12, 200)
    assert ladder([1, 4], None, None, 3, MacroSpace()) == (1, 4)
    with pytest.raises(InvalidArgumentError, match=r"fidelities must be at least two increasing"):
        STRATEGIES.create("asha", NB201Space(), fidelities=[5, 3])
    with pytest.raises(InvalidArgumentError, match="base must be a single-fidelity strategy"):
        STRATEGIES.create("hyperband", NB201Space(), base="asha")
    with pytest.raises(InvalidArgumentError, match="eta"):
        STRATEGIES.create("halving", NB201Space(), eta=1)
    assert STRATEGIES.parameters("asha")["base"] == "random"  # what `nasforge strategies` shows
    assert STRATEGIES.parameters("bohb")["base"] == STRATEGIES.create("bohb", NB201Space()).base == "tpe"


def test_successive_halving_promotes_the_best_third_of_each_bracket() -> None:
    study = table_search("halving", 40)
    fidelities = [t.fidelity for t in study.trials]
    assert fidelities == [12, 12, 12, 200] * 10
    for start in range(0, 40, 4):
        low, promoted = study.trials[start : start + 3], study.trials[start + 3]
        assert promoted.key == max(low, key=lambda t: t.metrics["valid"]).key
        assert promoted.metrics["valid"] != max(t.metrics["valid"] for t in low)  # 200 epochs, not 12


def test_hyperband_cycles_from_the_aggressive_to_the_conservative_bracket() -> None:
    study = table_search("hyperband", 12)
    assert [t.fidelity for t in study.trials] == [12, 12, 12, 200, 200, 200] * 2
    # the second and third 200-epoch trials are new architectures (the conservative bracket)
    assert len({t.key for t in study.trials}) == 10


def test_asha_promotes_only_what_is_in_the_top_third_when_asked() -> None:
    study = table_search("asha", 120, fidelities=[12, 200])
    rung0 = [t for t in study.trials if t.fidelity == 12]
    promoted = [t for t in study.trials if t.fidelity == 200]
    assert len(rung0) // 3 <= len(promoted) < len(rung0) // 2  # a third, plus those pushed out later
    for trial in promoted:
        told = sorted(
            (t for t in rung0 if t.told is not None and t.told < trial.asked_after),
            key=lambda t: -t.metrics["valid"],
        )
        assert trial.key in {t.key for t in told[: len(told) // 3]}


def test_bohb_samples_with_tpe_and_finds_better_cells_than_random_halving() -> None:
    bohb, plain = table_search("bohb", 150), table_search("hyperband", 150)

    def mean_low(study: Study) -> float:
        low = [t.metrics["valid"] for t in study.trials if t.fidelity == 12][-30:]
        return sum(low) / len(low)

    assert mean_low(bohb) > mean_low(plain)  # TPE learned from the first results


def test_the_leaderboard_ranks_the_top_rung_first() -> None:
    study = table_search("asha", 60)
    best = study.best_trial
    assert best is not None and best.fidelity == 200
    assert all(
        t.fidelity == 200 for t in study.leaderboard(len([t for t in study.trials if t.fidelity == 200]))
    )


@pytest.mark.slow
def test_asha_on_real_training_continues_promoted_trials_from_their_checkpoints(tmp_path: Path) -> None:
    path = tmp_path / "asha.db"
    argv = [sys.executable, "-m", "nasforge.cli.main", "search", "--data", "digits", "--strategy", "asha"]
    argv += ["--param", "fidelities=[1,3]", "--budget", "8", "--study", str(path), "--epochs", "3"]
    argv += ["--final-epochs", "0", "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["finished"] == 8
    with Study.load(path) as study:
        assert study.settings.checkpoints is True
        assert study.config.evaluator["schedule_epochs"] == 3  # every trial on the top rung's schedule
        promoted = [t for t in study.trials if t.fidelity == 3]
        assert promoted and all(t.state is TrialState.COMPLETE for t in promoted)
        for trial in promoted:
            assert trial.metrics["epochs"] == 3
            first = next(t for t in study.trials if t.key == trial.key and t.fidelity == 1)
            curve = study.storage.load_curves(trial.number)["valid_accuracy"]

            # continued from the checkpoint: two epochs trained in this trial, not three
            def examples(t: Trial) -> float:
                return t.metrics["train_seconds"] * t.metrics["train_samples_per_s"]

            assert examples(trial) == pytest.approx(2 * examples(first))
            assert (
                len(curve) == 3 and curve[0] == study.storage.load_curves(first.number)["valid_accuracy"][0]
            )

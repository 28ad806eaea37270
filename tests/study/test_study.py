from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from nasforge import (
    InvalidArgumentError,
    NB201Space,
    ProcessExecutor,
    Study,
    StudyError,
    TabularEvaluator,
    Trial,
    TrialState,
)
from tests.helpers import FailingEvaluator


def test_each_finished_trial_is_committed_before_the_next_ask(tmp_path: Path, nb201: NB201Space) -> None:
    path = tmp_path / "s.db"
    study = Study.create(nb201, "evolution", path=path)
    seen: list[int] = []

    def check(study: Study, trial: Trial) -> None:
        with sqlite3.connect(path) as other:  # a second connection sees only committed data
            rows = other.execute("SELECT COUNT(*) FROM trials WHERE state != 'RUNNING'").fetchone()[0]
            value = other.execute(
                "SELECT value FROM metrics WHERE trial = ? AND name = 'valid'", (trial.number,)
            ).fetchone()[0]
        seen.append(rows)
        assert value == trial.metrics["valid"]

    study.optimize(TabularEvaluator(), 15, callback=check)
    assert seen == list(range(1, 16))


def test_failures_are_stored_with_reasons_and_reload(tmp_path: Path, nb201: NB201Space) -> None:
    path = tmp_path / "s.db"
    study = Study.create(nb201, "random", seed=1, path=path)
    study.optimize(FailingEvaluator(), 60)
    study.close()
    loaded = Study.load(path)
    failed = [t for t in loaded.trials if t.state is TrialState.FAILED]
    assert failed and all(t.reason for t in failed)
    assert loaded.n_finished == 60
    assert [t.number for t in loaded.trials] == list(range(60))


def test_unknown_objective_is_refused_before_the_first_trial(nb201: NB201Space) -> None:
    study = Study.create(nb201, "random", objective="accuracy")
    with pytest.raises(InvalidArgumentError, match=r"objective must be a metric .*valid.*got 'accuracy'"):
        study.optimize(TabularEvaluator(), 3)
    assert study.trials == []


def test_test_metric_cannot_be_the_objective(nb201: NB201Space) -> None:
    with pytest.raises(InvalidArgumentError, match=r"test split.*use 'valid'"):
        Study.create(nb201, "random", objective="test", evaluator=TabularEvaluator())


def test_without_a_direction_each_objective_goes_the_way_its_evaluator_declares(nb201: NB201Space) -> None:
    evaluator = TabularEvaluator()
    study = Study.create(nb201, "random", objective=["valid", "params"], evaluator=evaluator)
    assert [o.direction for o in study.config.objectives] == ["maximize", "minimize"]
    assert Study.create(nb201, "random", objective="params").direction == "maximize"  # no evaluator


def test_minimize_direction_picks_the_smallest(nb201: NB201Space) -> None:
    study = Study.create(nb201, "random", objective="params", direction="minimize")
    study.optimize(TabularEvaluator(), 30)
    params = [t.metrics["params"] for t in study.trials]
    assert study.best_trial is not None and study.best_trial.metrics["params"] == min(params)
    board = study.leaderboard()
    assert [t.metrics["params"] for t in board] == sorted(params)


def test_resuming_with_another_configuration_is_refused(tmp_path: Path, nb201: NB201Space) -> None:
    path = tmp_path / "s.db"
    Study.create(nb201, "evolution", path=path).optimize(TabularEvaluator(), 5)
    with pytest.raises(StudyError, match="strategy"):
        Study.create(nb201, "local", path=path)
    with pytest.raises(StudyError, match="seed"):
        Study.create(nb201, "evolution", seed=9, path=path)
    assert len(Study.load(path).trials) == 5


def test_loading_a_missing_or_foreign_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match="does not exist"):
        Study.load(tmp_path / "none.db")
    junk = tmp_path / "junk.db"
    junk.write_text("this is not sqlite" * 100)
    with pytest.raises(StudyError, match="not a readable nasforge study"):
        Study.load(junk)


def test_running_trial_is_evaluated_again_on_resume(tmp_path: Path, nb201: NB201Space) -> None:
    path = tmp_path / "s.db"
    study = Study.create(nb201, "evolution", seed=4, path=path)
    study.optimize(TabularEvaluator(), 10)
    study._ask()  # asked and stored as RUNNING, then the process "dies"
    study.close()
    resumed = Study.load(path)
    assert resumed.trials[10].state is TrialState.RUNNING
    resumed.optimize(TabularEvaluator(), 30)
    reference = Study.create(nb201, "evolution", seed=4)
    reference.optimize(TabularEvaluator(), 30)
    assert [t.key for t in resumed.trials] == [t.key for t in reference.trials]
    assert all(t.state is TrialState.COMPLETE for t in resumed.trials)


def test_process_pool_runs_the_budget_without_repeats(nb201: NB201Space) -> None:
    study = Study.create(nb201, "evolution", seed=0)
    with ProcessExecutor(2) as executor:
        study.optimize(FailingEvaluator(), 40, executor=executor)
    assert study.n_finished == 40
    assert len({t.key for t in study.trials}) == 40
    assert any(t.state is TrialState.FAILED for t in study.trials)
    assert any(t.state is TrialState.COMPLETE for t in study.trials)


@pytest.mark.parametrize("name", ["random", "evolution", "local"])
def test_the_last_unseen_architectures_are_found_then_the_study_stops(nb201: NB201Space, name: str) -> None:
    keys = sorted({nb201.key(g) for g in nb201.enumerate()})
    left = set(keys[::1000])  # 7 classes, some with a single cell among 15,625
    study = Study.create(nb201, name)
    study.strategy._seen = {(key, None) for key in set(keys) - left}
    study.optimize(TabularEvaluator(), 20)
    assert study.exhausted
    assert {t.key for t in study.trials} == left

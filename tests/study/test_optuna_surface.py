"""What an Optuna user reaches for: best_params, best_value, trials_dataframe, enqueue_trial,
optimize(timeout=, n_jobs=), and one rule for a strategy's objective count."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import nasforge
from nasforge import InvalidArgumentError, NB201Space, Study, StudyError, TabularEvaluator
from nasforge.evaluators import FunctionEvaluator
from tests.helpers import run
from tests.spaces import user_spaces


def quickstart_study(path: Path | None = None) -> tuple[Study, FunctionEvaluator]:
    space, evaluator = nasforge.from_optuna(user_spaces.quickstart)
    study = Study.create(space, "random", seed=0, objective="value", direction="minimize", path=path)
    return study, evaluator


def test_best_params_value_and_a_dataframe_of_the_trials() -> None:
    study, evaluator = quickstart_study()
    with pytest.raises(StudyError, match="no COMPLETE trial yet"):
        study.best_value  # noqa: B018
    study.optimize(evaluator, budget=12)
    best = min(study.trials, key=lambda t: t.metrics["value"])
    assert study.best_value == best.metrics["value"]
    assert study.best_params == {"x": study.space.values(best.genotype)["x"]}
    frame = study.trials_dataframe()
    assert list(frame["number"]) == list(range(12)) and set(frame["state"]) == {"COMPLETE"}
    assert frame["value"].min() == study.best_value
    assert frame.loc[best.number, "params_x"] == study.best_params["x"]


def test_best_params_leave_out_what_an_architecture_does_not_have() -> None:
    study = Study.create(NB201Space(), "random", seed=0)
    study.optimize(TabularEvaluator(), budget=3)
    assert len(study.best_params) == 6 and all(isinstance(v, str) for v in study.best_params.values())


def test_an_enqueued_trial_runs_first_and_survives_a_resume(tmp_path: Path) -> None:
    study, evaluator = quickstart_study(tmp_path / "q.db")
    study.enqueue_trial({"x": 2.0})
    study.enqueue_trial("x=-1.5")
    study.close()
    resumed = Study.load(tmp_path / "q.db")
    resumed.optimize(evaluator, budget=5)
    values = [resumed.space.values(t.genotype)["x"] for t in resumed.trials]
    assert values[:2] == [2.0, -1.5] and resumed.best_value == 0.0
    assert [t.origin for t in resumed.trials[:2]] == ["enqueued", "enqueued"]
    resumed.close()
    again = Study.load(tmp_path / "q.db")  # replays the enqueued trials in their place
    again.optimize(evaluator, budget=8)
    assert len({again.space.key(t.genotype) for t in again.trials}) == 8
    with pytest.raises(nasforge.InvalidGenotypeError, match="has no knob 'y'"):
        again.enqueue_trial({"y": 1})
    with pytest.raises(nasforge.InvalidGenotypeError, match=r"must be a number in \[-10, 10\]"):
        again.enqueue_trial({"x": 11})


def test_optimize_takes_a_timeout_and_parallel_jobs() -> None:
    study, evaluator = quickstart_study()
    start = time.monotonic()
    slow = FunctionEvaluator(
        function="tests.spaces.user_spaces:slow_quickstart", metrics={"value": "minimize"}, interface="optuna"
    )
    study.optimize(slow, budget=1000, timeout=1.0)
    assert 1 <= len(study.trials) < 1000 and time.monotonic() - start < 10
    parallel, _ = quickstart_study()
    parallel.optimize(evaluator, budget=6, n_jobs=2)
    assert parallel.n_finished == 6 and parallel.best_value >= 0
    with pytest.raises(InvalidArgumentError, match="timeout must be a number of seconds above 0"):
        parallel.optimize(evaluator, budget=7, timeout=0)


def test_nsga2_takes_one_objective_from_python_as_from_the_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    study = Study.create(NB201Space(), "nsga2", seed=0)  # ranks by `valid` alone, as Optuna's does
    study.optimize(TabularEvaluator(), budget=25)
    assert study.n_finished == 25
    code, _, err = run(capsys, "search", "--table", "--strategy", "nsga2", "--budget", "5", "--study", "n.db")
    assert code == 0, err
    assert "nsga2 ranks by valid alone with one objective" in err


def test_one_job_runs_in_this_process_and_two_in_a_pool() -> None:
    import os

    pid = FunctionEvaluator(function="tests.spaces.user_spaces:process_id", metrics={"pid": "maximize"})
    space = nasforge.UserSpace(function="tests.spaces.user_spaces:linear_fit")
    serial = Study.create(space, "random", seed=0, objective="pid")
    serial.optimize(pid, budget=3, n_jobs=1)
    assert {t.metrics["pid"] for t in serial.trials} == {os.getpid()}
    pooled = Study.create(space, "random", seed=0, objective="pid")
    pooled.optimize(pid, budget=4, n_jobs=2)
    assert os.getpid() not in {t.metrics["pid"] for t in pooled.trials}

"""Executors: time limits, dead workers and retries, Ctrl-C, and a real local Ray instance."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nasforge import NB201Space, ProcessExecutor, SerialExecutor, Study, TrialState
from nasforge.errors import InvalidArgumentError
from nasforge.execution.executors import make_executor
from tests.helpers import (
    DyingEvaluator,
    HangingEvaluator,
    check_retried_failures,
    committed,
    processes_using,
)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_trial_past_its_time_limit_fails_is_retried_and_the_study_goes_on(
    nb201: NB201Space, workers: int
) -> None:
    study = Study.create(nb201, "random", seed=3, settings={"trial_timeout": 0.5, "retries": 1})
    executor = SerialExecutor() if workers == 1 else ProcessExecutor(workers)
    start = time.monotonic()
    with study:
        study.optimize(HangingEvaluator(), 12, executor=executor)
        executor.shutdown()
        assert study.n_finished == 12
        check_retried_failures(study, "timed out after 0.5 s")
        assert all(t.cost_s == 0.5 for t in study.trials if t.state is TrialState.FAILED)
    assert time.monotonic() - start < 30


def test_a_dead_worker_fails_its_trial_which_is_retried_then_given_up(nb201: NB201Space) -> None:
    study = Study.create(nb201, "random", seed=3, settings={"retries": 2})
    with study, ProcessExecutor(2) as executor:
        study.optimize(DyingEvaluator(), 16, executor=executor)
        assert study.n_finished == 16
        check_retried_failures(study, "the worker failed: BrokenProcessPool", retries=2)


def test_retries_zero_leaves_a_failure_alone(nb201: NB201Space) -> None:
    study = Study.create(nb201, "random", seed=3, settings={"trial_timeout": 0.2, "retries": 0})
    with study:
        study.optimize(HangingEvaluator(), 8)
        assert any(t.reason == "timed out after 0.2 s" for t in study.trials)
        assert all(t.origin is None for t in study.trials)


def test_executor_options_are_checked() -> None:
    with pytest.raises(InvalidArgumentError, match="executor must be one of"):
        make_executor(2, "threads")
    with pytest.raises(InvalidArgumentError, match="gpus_per_trial needs the ray executor"):
        make_executor(2, "process", gpus_per_trial=1)
    with pytest.raises(InvalidArgumentError, match="cpus_per_trial must be > 0"):
        make_executor(1, cpus_per_trial=0)
    assert isinstance(make_executor(1, "process"), ProcessExecutor)


def test_ctrl_c_stops_the_workers_and_leaves_a_resumable_study(tmp_path: Path) -> None:
    path = tmp_path / "interrupted.db"
    argv = [sys.executable, "-m", "nasforge.cli.main", "search", "--study", str(path), "--data", "digits"]
    argv += ["--budget", "30", "--epochs", "3", "--workers", "2", "--final-epochs", "0", "--no-progress"]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(committed(path)) < 2:
        time.sleep(0.2)
    os.killpg(child.pid, signal.SIGINT)  # what Ctrl-C sends: the whole foreground group
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err.decode()
    assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    assert processes_using(path) == [], "a worker outlived the interrupted search"
    with Study.load(path) as study:
        finished = study.n_finished
        assert 2 <= finished < 30
        assert all(t.reason is None for t in study.trials if t.state.finished)
    resumed = subprocess.run(argv, capture_output=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr.decode()
    with Study.load(path) as study:
        assert study.n_finished == 30
        assert len({t.key for t in study.trials}) == len(study.trials)

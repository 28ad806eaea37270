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
    FreezingEvaluator,
    HangingEvaluator,
    StuckEvaluator,
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
        check_retried_failures(study, "the worker failed: WorkerDied: worker pid ", retries=2)
        failed = [t for t in study.trials if t.state is TrialState.FAILED]
        assert all("exited with code 3" in (t.reason or "") for t in failed)


@pytest.mark.slow
def test_a_trial_stuck_in_c_code_is_killed_after_its_limit_and_grace_and_retried(nb201: NB201Space) -> None:
    """SIGALRM cannot reach a C call with the signal blocked: the driver kills its worker."""
    from nasforge.execution.timeouts import KILL_GRACE_S

    study = Study.create(nb201, "random", seed=3, settings={"trial_timeout": 0.5, "retries": 1})
    with study, ProcessExecutor(2, threads=1) as executor:
        study.optimize(StuckEvaluator(), 10, executor=executor)
        assert study.n_finished == 10
        check_retried_failures(study, "timed out after 0.5 s (stuck where the limit could not stop it")
        killed_after = [t.ended - t.started for t in study.trials if t.state is TrialState.FAILED]
        assert all(0.5 + KILL_GRACE_S <= s < 0.5 + KILL_GRACE_S + 2 for s in killed_after), killed_after


@pytest.mark.slow
def test_a_worker_that_stops_answering_is_detected_and_its_trial_retried(nb201: NB201Space) -> None:
    study = Study.create(nb201, "random", seed=3, settings={"retries": 1})
    with study, ProcessExecutor(2, threads=1, silent_after_s=2.0) as executor:
        study.optimize(FreezingEvaluator(), 10, executor=executor)
        assert study.n_finished == 10
        check_retried_failures(study, "sent no heartbeat for 2 s")
        detected_after = [t.ended - t.started for t in study.trials if t.state is TrialState.FAILED]
        assert all(2.0 <= s < 10.0 for s in detected_after), detected_after


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


@pytest.mark.slow
def test_ctrl_c_stops_the_workers_and_leaves_a_resumable_study(tmp_path: Path) -> None:
    path = tmp_path / "interrupted.db"
    argv = [sys.executable, "-m", "nasforge.cli.main", "search", "--study", str(path), "--data", "digits"]
    argv += ["--epochs", "3", "--workers", "2", "--final-epochs", "0", "--no-progress"]
    # A budget far beyond what runs before the interrupt, so that it always lands mid-search.
    # As in a terminal: SIGINT handled. (A test process can pass SIGINT on ignored, as system()
    # leaves it while another thread waits, and an ignored SIGINT stays ignored across exec.)
    child = subprocess.Popen(
        [*argv, "--budget", "300"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(committed(path)) < 2:
        time.sleep(0.2)
    seen = len(committed(path))
    masks = [
        line for line in Path(f"/proc/{child.pid}/status").read_text().splitlines() if line.startswith("Sig")
    ]
    os.killpg(child.pid, signal.SIGINT)  # what Ctrl-C sends: the whole foreground group
    try:
        out, err = child.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        raise AssertionError(f"Ctrl-C did not stop the search; its signal masks: {masks}") from None
    assert child.returncode == 130, (seen, len(committed(path)), masks, out.decode()[-500:], err.decode())
    assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    assert processes_using(path) == [], "a worker outlived the interrupted search"
    with Study.load(path) as study:
        finished = study.n_finished
        assert 2 <= finished < 300
        assert all(t.reason is None for t in study.trials if t.state.finished)
    resumed = subprocess.run([*argv, "--budget", str(finished + 3)], capture_output=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr.decode()
    with Study.load(path) as study:
        assert study.n_finished == finished + 3
        assert len({t.key for t in study.trials}) == len(study.trials)

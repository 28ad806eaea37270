"""Trials on a real local Ray instance: a search through the API and through the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nasforge import NB201Space, Study, TabularEvaluator, TrialState
from tests.helpers import DyingEvaluator, FreezingEvaluator, check_retried_failures

ray = pytest.importorskip("ray")

from nasforge.execution.ray_executor import RayExecutor  # noqa: E402  (needs Ray)

pytestmark = pytest.mark.slow  # a real local Ray cluster


@pytest.fixture(scope="module")
def executor() -> Iterator[RayExecutor]:
    started = RayExecutor(cpus_per_trial=1)
    yield started
    started.shutdown()
    assert not ray.is_initialized()


def test_a_search_runs_on_ray_workers_in_parallel(executor: RayExecutor, tmp_path: Path) -> None:
    assert executor.max_workers == int(ray.cluster_resources()["CPU"])
    path = tmp_path / "ray.db"
    with Study.create(NB201Space(), "evolution", seed=5, path=path) as study:
        study.optimize(TabularEvaluator(), 40, executor=executor)
    with Study.load(path) as stored:
        assert stored.n_finished == 40
        assert all(t.state is TrialState.COMPLETE for t in stored.trials)
        assert len({t.key for t in stored.trials}) == 40


def test_a_ray_worker_that_dies_fails_its_trial_which_is_retried(executor: RayExecutor) -> None:
    study = Study.create(NB201Space(), "random", seed=3, settings={"retries": 1})
    with study:
        study.optimize(DyingEvaluator(), 10, executor=executor)
        assert study.n_finished == 10
        check_retried_failures(study, "the worker failed: WorkerCrashedError")


def test_a_frozen_ray_worker_is_found_by_its_heartbeats_and_its_trial_retried(executor: RayExecutor) -> None:
    watchful = RayExecutor(cpus_per_trial=1, silent_after_s=3.0)  # joins the running instance
    study = Study.create(NB201Space(), "random", seed=3, settings={"retries": 1})
    try:
        study.optimize(FreezingEvaluator(), 10, executor=watchful)
    finally:
        watchful.shutdown()
        study.close()
    assert study.n_finished == 10
    check_retried_failures(study, "its Ray worker sent no heartbeat for 3 s")
    detected_after = [t.ended - t.started for t in study.trials if t.state is TrialState.FAILED]
    assert all(3.0 <= s < 15.0 for s in detected_after), detected_after


def test_search_command_with_the_ray_executor(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "nasforge.cli.main", "search", "--table", "--executor", "ray", "--budget"]
    argv += ["12", "--study", str(tmp_path / "cli.db"), "--cpus-per-trial", "1", "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["finished"] == 12
    refused = subprocess.run([*argv, "--cpus-per-trial", "64"], capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2
    assert "each trial asks for 64 CPUs" in refused.stderr and "Traceback" not in refused.stderr
    unreachable = subprocess.run(
        [*argv, "--ray-address", "127.0.0.1:1"], capture_output=True, text=True, timeout=60
    )
    assert unreachable.returncode == 2 and "Traceback" not in unreachable.stderr
    assert "ray_address '127.0.0.1:1': nothing answers at 127.0.0.1:1" in unreachable.stderr
    with Study.load(tmp_path / "cli.db") as study:  # the refused settings were not stored
        assert study.settings.ray_address is None and study.settings.cpus_per_trial == 1

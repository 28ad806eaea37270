"""A search process killed with SIGKILL loses no committed trial and its resume completes the budget.

The kill is deterministic: the child process kills itself right after committing a set trial
(a wrapper around `Study._finish`), so the test never races a timer.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nasforge import NB201Space, Study, TabularEvaluator, TrialState, make_executor
from tests.helpers import committed, processes_using

pytestmark = pytest.mark.slow  # searches in subprocesses killed with SIGKILL

BUDGET = 600
STRATEGY = ["--table", "--strategy", "evolution", "--no-warmup", "--seed", "11"]
# Runs `nasforge` with argv[2:], SIGKILLing itself once argv[1] trials are committed.
KILLER = """
import os, signal, sys
import nasforge.study as study
from nasforge.cli.main import main
limit, finish = int(sys.argv[1]), study.Study._finish
def finish_then_die(self, trial, result):
    finish(self, trial, result)
    if sum(t.state.finished for t in self.trials) >= limit:
        os.kill(os.getpid(), signal.SIGKILL)
study.Study._finish = finish_then_die
sys.exit(main(sys.argv[2:]))
"""


def search(path: Path, workers: int) -> list[str]:
    argv = ["search", "--study", str(path), "--budget", str(BUDGET), "--workers", str(workers)]
    return [*argv, *STRATEGY, "--no-progress", "--final-epochs", "0"]


@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_mid_study_then_resume(tmp_path: Path, workers: int) -> None:
    path = tmp_path / "killed.db"
    for kill_at in (150, 320):  # killed twice at set moments, resumed each time
        child = subprocess.run(
            [sys.executable, "-c", KILLER, str(kill_at), *search(path, workers)], capture_output=True
        )
        assert child.returncode == -9, child.stderr.decode()
        deadline = time.monotonic() + 10
        while processes_using(path) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processes_using(path) == [], "pool workers outlived their killed driver"
        assert len(committed(path)) == kill_at
    before = committed(path)
    resumed = subprocess.run(
        [sys.executable, "-m", "nasforge.cli.main", *search(path, workers)], capture_output=True
    )
    assert resumed.returncode == 0, resumed.stderr.decode()
    after = committed(path)
    assert len(after) == BUDGET
    assert all(after[number] == row for number, row in before.items()), "a committed trial changed"

    stored = Study.load(path)
    assert all(t.state is TrialState.COMPLETE for t in stored.trials)
    assert len({(t.key, t.fidelity) for t in stored.trials}) == BUDGET, "an architecture ran twice"
    if workers == 1:  # a serial run makes the same choices as an uninterrupted one
        reference = Study.create(NB201Space(), "evolution", strategy_params={"population_size": 10}, seed=11)
        reference.optimize(TabularEvaluator(), BUDGET, executor=make_executor(1))
        assert [t.key for t in stored.trials] == [t.key for t in reference.trials]


def test_three_sigkills_at_random_moments_of_a_two_worker_search(tmp_path: Path) -> None:
    """The driver of a 2-worker search is SIGKILLed 3 times at random moments while it commits."""
    path, budget = tmp_path / "random-kills.db", 3000
    argv = [sys.executable, "-m", "nasforge.cli.main", *search(path, 2)]
    argv[argv.index(str(BUDGET))] = str(budget)
    rng = random.Random(2026)
    for _ in range(3):
        before = committed(path)
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(committed(path)) <= len(before) and time.monotonic() < deadline:
            time.sleep(0.02)  # the driver is now committing trials
        time.sleep(rng.uniform(0.0, 0.6))
        child.kill()
        assert child.wait() == -9, "the search ended before it was killed (raise its budget)"
        deadline = time.monotonic() + 10
        while processes_using(path) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert processes_using(path) == [], "pool workers outlived their killed driver"
        after = committed(path)
        assert len(before) < len(after) < budget
        assert all(after[number] == row for number, row in before.items()), "a committed trial changed"
    resumed = subprocess.run(argv, capture_output=True)
    assert resumed.returncode == 0, resumed.stderr.decode()
    stored = Study.load(path)
    assert stored.n_finished == budget
    assert all(committed(path)[number] == row for number, row in after.items())
    runs = [(t.key, t.fidelity) for t in stored.trials]
    assert len(set(runs)) == len(runs), "an architecture ran twice at the same fidelity"

"""A search process killed with SIGKILL loses no committed trial and its resume completes the budget.

The kill is deterministic: the child process kills itself right after committing a set trial
(a wrapper around `Study._finish`), so the test never races a timer.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nasforge import NB201Space, Study, TabularEvaluator, TrialState, make_executor

BUDGET = 600
STRATEGY = ["--table", "--strategy", "evolution", "--seed", "11"]
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


def committed(path: Path) -> dict[int, tuple[str, str, float | None]]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT number, genotype, state, score FROM trials WHERE state != 'RUNNING'")
        return {number: (genotype, state, score) for number, genotype, state, score in rows}


def search(path: Path, workers: int) -> list[str]:
    argv = ["search", "--study", str(path), "--budget", str(BUDGET), "--workers", str(workers)]
    return [*argv, *STRATEGY, "--no-progress", "--final-epochs", "0"]


def processes_using(path: Path) -> list[int]:
    """Live processes whose command line names the study file (the driver and its pool workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(path).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


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

    # An uninterrupted run with as many workers makes the same choices (results are told in order).
    reference = Study.create(NB201Space(), "evolution", strategy_params={"population_size": 10}, seed=11)
    executor = make_executor(workers)
    reference.optimize(TabularEvaluator(), BUDGET, executor=executor)
    executor.shutdown()
    stored = Study.load(path)
    assert [t.key for t in stored.trials] == [t.key for t in reference.trials]
    assert all(t.state is TrialState.COMPLETE for t in stored.trials)
    assert len({(t.key, t.fidelity) for t in stored.trials}) == BUDGET, "an architecture ran twice"
    assert os.path.getsize(path) > 0

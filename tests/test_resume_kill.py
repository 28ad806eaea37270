"""A search process killed with SIGKILL loses no committed trial and its resume completes the budget."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from nasforge import NB201Space, Study, TabularEvaluator, TrialState

BUDGET = 2500
STRATEGY = ["--table", "--strategy", "evolution", "--seed", "11"]


def committed(path: Path) -> dict[int, tuple[str, str, float | None]]:
    with sqlite3.connect(path) as db:
        try:
            rows = db.execute("SELECT number, genotype, state, score FROM trials WHERE state != 'RUNNING'")
        except sqlite3.OperationalError:  # the file exists a moment before its tables do
            return {}
        return {number: (genotype, state, score) for number, genotype, state, score in rows}


def search(path: Path) -> list[str]:
    cmd = [sys.executable, "-m", "nasforge.cli.main", "search", "--study", str(path), "--budget", str(BUDGET)]
    return [*cmd, *STRATEGY, "--no-progress"]


def test_sigkill_mid_study_then_resume(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    process = subprocess.Popen(search(path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if path.exists() and len(committed(path)) >= 200:
            break
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    before = committed(path)
    assert 200 <= len(before) < BUDGET, "the process must be killed mid-study"

    resumed = subprocess.run(search(path), capture_output=True)
    assert resumed.returncode == 0, resumed.stderr.decode()
    after = committed(path)
    assert len(after) == BUDGET
    assert all(after[number] == row for number, row in before.items()), "a committed trial changed"

    reference = Study.create(NB201Space(), "evolution", seed=11)
    reference.optimize(TabularEvaluator(), BUDGET)
    stored = Study.load(path)
    assert [t.key for t in stored.trials] == [t.key for t in reference.trials]
    assert all(t.state is TrialState.COMPLETE for t in stored.trials)

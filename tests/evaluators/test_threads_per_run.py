"""Threads are chosen per run and per trial, from the cores free and the model's size; an
explicit count wins, also on resume; the count each trial ran with is recorded with it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import torch

from nasforge.evaluators import resources
from nasforge.evaluators.resources import SMALL_MODEL_FLOPS, choose_threads
from tests.helpers import run

SEARCH = ["search", "--data", "digits", "--epochs", "1", "--space", "macro", "--final-epochs", "0"]


def _machine(monkeypatch: pytest.MonkeyPatch, busy: float) -> None:
    """Two cores, `busy` of them kept busy by other processes."""
    monkeypatch.setattr(resources, "busy_cores_elsewhere", lambda: busy)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 2)


def _threads_by_trial(study: Path) -> list[int]:
    with sqlite3.connect(study) as db:
        rows = db.execute("SELECT trial, value FROM metrics WHERE name = 'threads' ORDER BY trial").fetchall()
    return [int(v) for _, v in rows]


def test_the_free_cores_and_the_models_size_decide(monkeypatch: pytest.MonkeyPatch) -> None:
    _machine(monkeypatch, busy=1.0)
    assert str(choose_threads(1e8)) == "threads: 1 (2 cores, 1 busy)"
    _machine(monkeypatch, busy=0.1)
    assert choose_threads(1e8).threads == 2
    tiny = choose_threads(SMALL_MODEL_FLOPS / 2)
    assert tiny.threads == 1 and str(tiny) == "threads: 1 (2 cores, 0 busy, a small model)"


def test_a_resumed_study_chooses_again_unless_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    study = tmp_path / "s.db"
    monkeypatch.setattr(resources, "SMALL_MODEL_FLOPS", 0.0)  # no model counts as small here
    _machine(monkeypatch, busy=0.0)
    code, _, err = run(capsys, *SEARCH, "--budget", "1", "--study", str(study), "--threads", "2")
    assert code == 0, err
    assert "threads: 2 per trial (--threads)" in err
    _machine(monkeypatch, busy=1.0)  # the machine got busy: the stored study does not hold it at 2
    code, _, err = run(capsys, *SEARCH, "--budget", "2", "--study", str(study))
    assert code == 0, err
    assert "threads: 1 (2 cores, 1 busy) now; chosen again before each trial" in err
    code, _, err = run(capsys, *SEARCH, "--budget", "3", "--study", str(study), "--threads", "2")
    assert code == 0, err
    assert _threads_by_trial(study) == [2, 1, 2]  # recorded per trial

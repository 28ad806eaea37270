"""One study file has one writer at a time; readers always see consistent trials."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nasforge import NB201Space, ProcessExecutor, Study, StudyError, TabularEvaluator, Trial

SECOND_WRITER = """
import sys
from nasforge import Study, StudyError, TabularEvaluator
study = Study.load(sys.argv[1])
try:
    study.optimize(TabularEvaluator(), 10)
except StudyError as exc:
    print(exc)
    sys.exit(3)
"""


def test_a_second_process_cannot_run_a_study_that_is_running(tmp_path: Path, nb201: NB201Space) -> None:
    path = tmp_path / "s.db"
    first = Study.create(nb201, "evolution", seed=0, path=path)
    refused: list[subprocess.CompletedProcess[str]] = []

    def try_second(study: Study, trial: Trial) -> None:
        if trial.number == 2:  # first holds the writer lock while it runs: a real second process
            second = [sys.executable, "-c", SECOND_WRITER, str(path)]
            refused.append(subprocess.run(second, capture_output=True, text=True, timeout=120))

    first.optimize(TabularEvaluator(), 5, callback=try_second)
    assert refused and refused[0].returncode == 3, refused
    assert "being run by another process" in refused[0].stdout
    assert first.n_finished == 5
    assert len(Study.load(path).trials) == 5, "the refused run wrote nothing"


def test_a_study_advanced_elsewhere_must_be_opened_again(tmp_path: Path, nb201: NB201Space) -> None:
    path = tmp_path / "s.db"
    stale = Study.create(nb201, "evolution", seed=0, path=path)
    Study.create(nb201, "evolution", seed=0, path=path).optimize(TabularEvaluator(), 5)
    with pytest.raises(StudyError, match="advanced by another process"):
        stale.optimize(TabularEvaluator(), 10)
    fresh = Study.create(nb201, "evolution", seed=0, path=path)
    fresh.optimize(TabularEvaluator(), 10)
    assert [t.number for t in fresh.trials] == list(range(10))


def test_pool_workers_do_not_keep_the_writer_lock(tmp_path: Path, nb201: NB201Space) -> None:
    path = tmp_path / "s.db"
    with ProcessExecutor(2) as executor:  # its workers outlive the first run
        Study.create(nb201, "random", seed=0, path=path).optimize(TabularEvaluator(), 6, executor=executor)
        Study.create(nb201, "random", seed=0, path=path).optimize(TabularEvaluator(), 8, executor=executor)
    assert Study.load(path).n_finished == 8

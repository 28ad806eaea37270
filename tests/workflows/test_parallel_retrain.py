"""Retraining side by side: worker processes of one thread give the same models as retraining
one after the other on one thread, store each result and model, and a worker that dies fails
its own retraining alone."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import torch.nn as nn

from nasforge import Study, make_space
from nasforge.evaluators import Hardware, Recipe, TrainingEvaluator
from nasforge.evaluators.base import EvalOptions, Result
from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.spaces.define_by_run import space as define_space
from nasforge.study.retrain_pool import retrain_in_pool
from nasforge.workflows import retrain as retrain_module
from nasforge.workflows.retrain import final_retrain, retrain_workers

SPACE = {"name": "macro", "max_blocks": 2, "choices": {"channels": [4, 8], "batchnorm": [True]}}


def evaluator(threads: int | None = 1) -> TrainingEvaluator:
    return TrainingEvaluator(
        data="digits", recipe=Recipe(epochs=1, learning_rate=0.01), hardware=Hardware(threads=threads)
    )


def searched(path: Path, **settings: Any) -> Study:
    study = Study.create(
        make_space(SPACE),
        "random",
        seed=0,
        objective="valid_accuracy",
        path=path,
        evaluator=evaluator(),
        settings=settings,
    )
    study.optimize(evaluator(), 4)
    return study


class DiesOn(TrainingEvaluator):
    """Ends its process (as an out-of-memory kill would) when asked to train `genotype`."""

    def __init__(self, genotype: Genotype) -> None:
        super().__init__(data="digits", recipe=Recipe(epochs=1), hardware=Hardware(threads=1))
        self.genotype = genotype

    def evaluate(
        self,
        genotype: Genotype,
        space: SearchSpace,
        fidelity: float | None = None,
        options: EvalOptions | None = None,
    ) -> Result:
        if genotype == self.genotype:
            os._exit(3)
        return super().evaluate(genotype, space, fidelity, options)


def test_side_by_side_retraining_gives_the_models_of_one_after_the_other(tmp_path: Path) -> None:
    serial = searched(tmp_path / "serial.db")
    pooled = searched(tmp_path / "pooled.db")
    top = pooled.leaderboard(3)
    assert [t.genotype for t in top] == [t.genotype for t in serial.leaderboard(3)]

    one_by_one = [serial.retrain(evaluator(), t, 2) for t in serial.leaderboard(3)]
    side_by_side = retrain_in_pool(pooled, evaluator(), top, 2, workers=2)

    for a, b in zip(one_by_one, side_by_side, strict=True):
        assert b.error is None
        assert b.metrics["test_accuracy"] == a.metrics["test_accuracy"]
        assert b.metrics["valid_loss"] == a.metrics["valid_loss"]
        assert b.metrics["threads"] == 1
    stored = {r.trial: r for r in pooled.retrains}
    assert set(stored) == {t.number for t in top}
    assert all(pooled.model_folder(t) is not None for t in top), "each model is kept beside the study"


def test_a_worker_that_dies_fails_its_own_retraining_and_the_rest_finish(tmp_path: Path) -> None:
    study = searched(tmp_path / "s.db")
    top = study.leaderboard(3)
    results = retrain_in_pool(study, DiesOn(top[1].genotype), top, 1, workers=2)

    assert results[0].error is None and results[2].error is None
    assert results[1].error is not None and "exited with code 3" in results[1].error
    stored = {r.trial: r for r in study.retrains}
    assert stored[top[1].number].error == results[1].error, "the failure is recorded with its reason"


def test_the_final_retraining_runs_side_by_side_where_cores_are_free(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retrain_module, "free_cores", lambda: 2)  # as on an idle two-core machine
    study = searched(tmp_path / "s.db", final_epochs=1, ensemble=3)
    batches: list[tuple[list[int], int | None, int]] = []
    done: list[int] = []

    def on_batch(trials: list[Any], epochs: int | None, at_once: int) -> Any:
        batches.append(([t.number for t in trials], epochs, at_once))
        return lambda trial: done.append(trial.number)

    retrained = final_retrain(study, evaluator(threads=None), on_batch=on_batch)

    top = [t.number for t in study.leaderboard(3)]
    assert batches == [(top, 1, 2)]
    assert sorted(done) == sorted(top)
    assert [t.number for t, _ in retrained] == top
    assert all(r.ok and r.tested for _, r in retrained)

    # A resumed search trains nothing again.
    count = len(study.retrains)
    final_retrain(study, evaluator(threads=None), on_batch=on_batch)
    assert len(study.retrains) == count and len(batches) == 1


def test_retrainings_run_one_after_the_other_where_side_by_side_would_not_pay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retrain_module, "free_cores", lambda: 2)
    study = searched(tmp_path / "s.db")
    assert retrain_workers(study, evaluator(threads=None), 5) == 2
    assert retrain_workers(study, evaluator(threads=None), 1) == 1, "one retraining"
    assert retrain_workers(study, evaluator(threads=2), 5) == 1, "the user's own thread count"
    monkeypatch.setattr(retrain_module, "free_cores", lambda: 1)
    assert retrain_workers(study, evaluator(threads=None), 5) == 1, "one core free"


def test_a_space_that_cannot_be_sent_to_a_worker_is_retrained_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retrain_module, "free_cores", lambda: 2)

    def build(k: Any) -> nn.Module:  # defined in a function: cannot be pickled
        return nn.Sequential(nn.Linear(64, k.choice("width", [4, 8])), nn.ReLU(), nn.LazyLinear(10))

    study = Study.create(define_space(build), "random", seed=0, path=tmp_path / "u.db")
    assert retrain_workers(study, evaluator(threads=None), 5) == 1


def test_the_outcome_lists_retrainings_by_rank_whatever_order_they_ended_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from nasforge.cli.results import print_outcome

    study = searched(tmp_path / "s.db")
    top = study.leaderboard(3)
    for trial in reversed(top):  # the last ranked ends first
        study.retrain(evaluator(), trial, 1)
    print_outcome(study, tmp_path / "s.db", 3, study.retrains)

    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if " retrained for " in line]
    assert [int(line.split()[1]) for line in lines] == [t.number for t in top]

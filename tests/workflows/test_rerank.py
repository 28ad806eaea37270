"""Reranking before the final retraining: the k best are trained on their own (no test split,
no model kept) and the final pick is retrained from the best of them by validation."""

from __future__ import annotations

from pathlib import Path

from nasforge import Study, make_space
from nasforge.evaluators import Hardware, Recipe, TrainingEvaluator
from nasforge.workflows.retrain import final_retrain

SPACE = {"name": "macro", "max_blocks": 2, "choices": {"channels": [4, 8], "batchnorm": [True]}}


def test_the_final_retraining_starts_from_the_best_of_the_reranked_trials(tmp_path: Path) -> None:
    evaluator = TrainingEvaluator(
        data="digits", recipe=Recipe(epochs=1, learning_rate=0.01), hardware=Hardware(threads=1)
    )
    study = Study.create(
        make_space(SPACE),
        "random",
        objective="valid_accuracy",
        path=tmp_path / "r.db",
        evaluator=evaluator,
        settings={"final_epochs": 2, "ensemble": 1, "rerank": 3},
    )
    study.optimize(evaluator, 5)
    [(trial, record)] = final_retrain(study, evaluator)

    reranked = [r for r in study.retrains if r.fidelity == 1]
    top3 = {t.number for t in study.leaderboard(3)}
    assert {r.trial for r in reranked} == top3
    assert all(not any(k.startswith("test_") for k in r.metrics) for r in reranked), "test seen early"
    best = max(reranked, key=lambda r: r.metrics["valid_accuracy"])
    assert trial.number == best.trial and record.fidelity == 2 and "test_accuracy" in record.metrics
    assert study.model_folder(trial) is not None

    # A resumed search trains nothing again.
    count = len(study.retrains)
    final_retrain(study, evaluator)
    assert len(study.retrains) == count

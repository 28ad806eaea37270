"""Reranking before the final retraining: the k best are trained on their own (no test split,
no model kept) and the final pick is retrained from the best of them by validation."""

from __future__ import annotations

from pathlib import Path

from nasforge import Study, make_space
from nasforge.evaluators import Hardware, Recipe, TrainingEvaluator
from nasforge.workflows.retrain import final_retrain, shortlist

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


def test_a_supernet_scored_shortlist_takes_the_score_and_the_size_together() -> None:
    study = Study.create(make_space(SPACE), "random", objective="supernet_valid_accuracy", seed=3)
    scored = [(0.50, 100.0), (0.45, 900.0), (0.40, 800.0), (0.30, 50.0), (0.20, 1000.0)]
    for score, flops in scored:
        study.tell(study.ask(), {"supernet_valid_accuracy": score, "flops": flops})
    # places by score 0 1 2 3 4, by FLOPs (largest first) 3 1 2 4 0: summed 3 2 4 7 4 (a tie: score order)
    assert [t.number for t in shortlist(study, 5)] == [1, 0, 2, 4, 3]
    assert [t.number for t in shortlist(study, 2)] == [1, 0]
    assert [t.number for t in study.leaderboard(2)] == [0, 1], "the study's own ranking is unchanged"


def test_a_trained_studys_shortlist_is_its_leaderboard_and_so_is_one_without_flops() -> None:
    for objective, metric in (("valid_accuracy", "flops"), ("supernet_valid_accuracy", "params")):
        study = Study.create(make_space(SPACE), "random", objective=objective, seed=4)
        for score, size in [(0.5, 1.0), (0.4, 9.0), (0.3, 5.0)]:
            study.tell(study.ask(), {objective: score, metric: size})
        assert shortlist(study, 3) == study.leaderboard(3)

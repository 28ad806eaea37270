"""Retraining the top trials of a study and keeping their models: the final step of a search."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nasforge.evaluators.base import Evaluator
from nasforge.evaluators.training import TrainingEvaluator
from nasforge.study.study import Study
from nasforge.trial import Retrain, Trial
from nasforge.workflows.blend import choose_blend
from nasforge.workflows.ensemble import final_pick

# Called before a trial is retrained with the trial and the epochs; may return an
# `on_epoch(done, total)` progress callback.
OnRetrain = Callable[[Trial, int | None], Callable[[int, int], None] | None]


def retrain_top(
    study: Study,
    evaluator: Evaluator,
    epochs: int | None,
    *,
    k: int = 1,
    on_retrain: OnRetrain | None = None,
    ranked: list[Trial] | None = None,
) -> list[tuple[Trial, Retrain]]:
    """Retrain the `k` best trials (of `ranked`, best first; default the leaderboard) for
    `epochs` (None: the evaluator's own) on the study's `final_fit` splits, measure the test split
    and keep their models beside the study. A trial already retrained that long on the same data
    is not trained again: its stored result is returned.

    Returns:
        Each trial with its retraining's record (`metrics`, `error`, `fidelity`), best first.
    """
    train_on_valid = study.settings.final_fit == "train+valid"
    out = []
    for trial in study.leaderboard(k) if ranked is None else ranked[:k]:
        done = [
            r
            for r in study.retrains
            if r.trial == trial.number
            and r.fidelity == epochs
            and r.ok
            and r.tested
            and r.trained_on_valid == train_on_valid
        ]
        if not done:
            on_epoch = on_retrain(trial, epochs) if on_retrain is not None else None
            result = study.retrain(evaluator, trial, epochs, on_epoch=on_epoch, train_on_valid=train_on_valid)
            done = [Retrain(trial.number, epochs, result.metrics, result.error)]
        out.append((trial, done[-1]))
    return out


def final_retrain(
    study: Study, evaluator: Evaluator, on_retrain: OnRetrain | None = None
) -> list[tuple[Trial, Retrain]]:
    """What a search ends with: the `ensemble` (or `save_top_k`) best trials retrained for the
    study's `final_epochs` on its `final_fit` splits and the final pick (`final_pick`: the best
    of them, or their average, blended with a linear model where `choose_blend` says); nothing
    where the evaluator does not train or `final_epochs` is 0. Architectures scored on a
    supernet are retrained on their own (`Evaluator.stand_alone`)."""
    settings = study.settings
    evaluator = evaluator.stand_alone()
    if not settings.final_epochs or not isinstance(evaluator, TrainingEvaluator):
        return []
    k = max(1, settings.save_top_k, settings.ensemble)
    ranked = rerank(study, evaluator, settings.rerank, on_retrain) if settings.rerank else None
    top = (ranked or study.leaderboard(k))[:k]
    epochs, evaluator = cross_validated_fit(study, evaluator, top, settings.final_epochs)
    blend = choose_blend(study.space, evaluator, top, epochs) if settings.blend else None
    retrained = retrain_top(study, evaluator, epochs, k=k, on_retrain=on_retrain, ranked=ranked)
    final_pick(study, evaluator, retrained, settings.ensemble, epochs, blend)
    return retrained


def cross_validated_fit(
    study: Study, evaluator: TrainingEvaluator, top: list[Trial], final_epochs: int
) -> tuple[int, TrainingEvaluator]:
    """The final fit's epochs and evaluator. Trials scored by k-fold cross-validation (small
    tables) chose their architecture on the folds' mean validation curve; where the top trials'
    mean curve of the objective peaked before their last epoch, the folds saw the networks
    overfit, and the final fit trains as the trials did (their learning-rate schedule) and stops
    at that peak, not `final_epochs` later. Where it still rose at the last epoch, the winner is
    cross-validated once more for `final_epochs` and the fit stops where that curve peaks (on
    that longer schedule). Other studies: `final_epochs`, the evaluator as it is.

    Example:
        >>> # cross_validated_fit(study, evaluator, study.leaderboard(5), 40) -> (12, evaluator')
    """
    objective = study.objectives[0]
    curves = [study.storage.load_curves(t.number).get(objective.metric, []) for t in top]
    cross_validated = bool(top) and all("cv_folds" in t.metrics for t in top)
    length = min((len(c) for c in curves), default=0)
    if not cross_validated or length == 0:
        return final_epochs, evaluator
    mean = np.mean([c[:length] for c in curves], axis=0)
    best = _peak(mean, objective.direction)
    schedule = evaluator.recipe.schedule_epochs or evaluator.recipe.epochs
    if best == length and final_epochs > length:  # still improving when the trials stopped
        longer = evaluator.evaluate(top[0].genotype, study.space, float(final_epochs))
        curve = longer.artifacts.curves.get(objective.metric, [])
        if longer.error is not None or not curve:
            return final_epochs, evaluator
        best, schedule = _peak(np.asarray(curve), objective.direction), final_epochs
    return best, evaluator.with_recipe(schedule_epochs=max(schedule, best))


def _peak(curve: np.ndarray, direction: str) -> int:
    """The epoch (counted from 1) where `curve` is best."""
    return int(np.argmax(curve) if direction == "maximize" else np.argmin(curve)) + 1


def rerank(
    study: Study, evaluator: TrainingEvaluator, count: int, on_retrain: OnRetrain | None = None
) -> list[Trial]:
    """The `count` best trials, each trained on its own for `evaluator`'s epochs (no test split,
    no model kept), best first by that training's validation objective: where the study's
    ranking came from a supernet, it is then only a filter. Trials trained so before (a resumed
    search) are not trained again; those whose training failed are left out."""
    epochs = evaluator.recipe.epochs
    better = next(s.direction for s in evaluator.metric_schema() if s.name == evaluator.objective)
    scored = []
    for trial in study.leaderboard(count):
        done = [
            r
            for r in study.retrains
            if r.trial == trial.number and r.fidelity == epochs and r.ok and not r.tested
        ]
        if done:
            metrics = done[-1].metrics
        else:
            on_epoch = on_retrain(trial, epochs) if on_retrain is not None else None
            result = study.retrain(evaluator, trial, epochs, save_model=False, test=False, on_epoch=on_epoch)
            if result.error is not None:
                continue
            metrics = result.metrics
        scored.append((trial, metrics[evaluator.objective]))
    scored.sort(key=lambda pair: pair[1], reverse=better == "maximize")  # stable: ties keep their rank
    return [trial for trial, _ in scored]

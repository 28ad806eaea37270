"""Retraining the top trials of a study and keeping their models: the final step of a search."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nasforge.evaluators.base import Evaluator, Result
from nasforge.evaluators.resources import free_cores, resolve_device
from nasforge.evaluators.training import TrainingEvaluator
from nasforge.objectives import from_supernet
from nasforge.study.retrain_pool import picklable, retrain_in_pool
from nasforge.study.study import Study
from nasforge.trial import Retrain, Trial
from nasforge.workflows.blend import choose_blend
from nasforge.workflows.ensemble import final_pick

# Called before a trial is retrained with the trial and the epochs; may return an
# `on_epoch(done, total)` progress callback.
OnRetrain = Callable[[Trial, int | None], Callable[[int, int], None] | None]
# Called before trials are retrained several at once with the trials, the epochs and how many run
# at once; may return an `on_done(trial)` callback, called as each ends.
OnBatch = Callable[[list[Trial], int | None, int], Callable[[Trial], None] | None]


def retrain_top(
    study: Study,
    evaluator: Evaluator,
    epochs: int | None,
    *,
    k: int = 1,
    on_retrain: OnRetrain | None = None,
    on_batch: OnBatch | None = None,
    ranked: list[Trial] | None = None,
) -> list[tuple[Trial, Retrain]]:
    """Retrain the `k` best trials (of `ranked`, best first; default the leaderboard) for
    `epochs` (None: the evaluator's own) on the study's `final_fit` splits, measure the test split
    and keep their models beside the study; several at once where cores are free
    (`retrain_workers`). A trial already retrained that long on the same data is not trained
    again: its stored result is returned.

    Returns:
        Each trial with its retraining's record (`metrics`, `error`, `fidelity`), best first.
    """
    train_on_valid = study.settings.final_fit == "train+valid"
    trials = study.leaderboard(k) if ranked is None else ranked[:k]
    retrains = study.retrains
    records = {t.number: _last(retrains, t, epochs, tested=True, on_valid=train_on_valid) for t in trials}
    todo = [t for t in trials if records[t.number] is None]
    results = retrain_each(
        study, evaluator, todo, epochs, on_retrain, on_batch, train_on_valid=train_on_valid
    )
    for trial, result in zip(todo, results, strict=True):
        records[trial.number] = Retrain(trial.number, epochs, result.metrics, result.error)
    return [(t, record) for t in trials if (record := records[t.number]) is not None]


def retrain_each(
    study: Study,
    evaluator: Evaluator,
    trials: list[Trial],
    epochs: int | None,
    on_retrain: OnRetrain | None = None,
    on_batch: OnBatch | None = None,
    **how: bool,
) -> list[Result]:
    """`Study.retrain` (`how`: its `save_model`, `test`, `train_on_valid`) for each of `trials`:
    several at once where `retrain_workers` says so, else one after the other."""
    workers = retrain_workers(study, evaluator, len(trials))
    if workers > 1:
        on_done = on_batch(trials, epochs, workers) if on_batch is not None else None
        return retrain_in_pool(study, evaluator, trials, epochs, workers=workers, on_done=on_done, **how)
    results = []
    for trial in trials:
        on_epoch = on_retrain(trial, epochs) if on_retrain is not None else None
        results.append(study.retrain(evaluator, trial, epochs, on_epoch=on_epoch, **how))
    return results


def retrain_workers(study: Study, evaluator: Evaluator, count: int) -> int:
    """How many of `count` retrainings run at once: one per core that other processes leave
    free, each on one thread, where they train on the CPU with the threads chosen per run (or
    one) and the evaluator and space can be sent to a worker process; else 1."""
    if count < 2 or not isinstance(evaluator, TrainingEvaluator):
        return 1
    hardware = evaluator.hardware
    if hardware.threads not in (None, 1) or resolve_device(hardware.device).type != "cpu":
        return 1
    if not picklable(evaluator, study.space):
        return 1
    return min(count, free_cores())


def final_retrain(
    study: Study,
    evaluator: Evaluator,
    on_retrain: OnRetrain | None = None,
    on_batch: OnBatch | None = None,
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
    ranked = rerank(study, evaluator, settings.rerank, on_retrain, on_batch) if settings.rerank else None
    top = (ranked or study.leaderboard(k))[:k]
    epochs, evaluator = cross_validated_fit(study, evaluator, top, settings.final_epochs)
    blend = choose_blend(study.space, evaluator, top, epochs) if settings.blend else None
    retrained = retrain_top(
        study, evaluator, epochs, k=k, on_retrain=on_retrain, on_batch=on_batch, ranked=ranked
    )
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
    cross-validated once more for `final_epochs` and the fit trains as many epochs as that curve
    took to peak, on a schedule of that length (its learning rate anneals by the end, not cut at
    the longer schedule's peak). Other studies: `final_epochs`, the evaluator as it is.

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
        best = _peak(np.asarray(curve), objective.direction)
        return best, evaluator.with_recipe(schedule_epochs=best)
    return best, evaluator.with_recipe(schedule_epochs=max(schedule, best))


def _peak(curve: np.ndarray, direction: str) -> int:
    """The epoch (counted from 1) where `curve` is best."""
    return int(np.argmax(curve) if direction == "maximize" else np.argmin(curve)) + 1


def rerank(
    study: Study,
    evaluator: TrainingEvaluator,
    count: int,
    on_retrain: OnRetrain | None = None,
    on_batch: OnBatch | None = None,
) -> list[Trial]:
    """The `count` best trials, each trained on its own for `evaluator`'s epochs (no test split,
    no model kept; several at once where cores are free), best first by that training's
    validation objective: where the study's ranking came from a supernet, it is then only a
    filter (`shortlist`). Trials trained so before (a resumed search) are not trained again; those
    whose training failed are left out."""
    epochs = evaluator.recipe.epochs
    better = next(s.direction for s in evaluator.metric_schema() if s.name == evaluator.objective)
    trials = shortlist(study, count)
    retrains = study.retrains
    metrics = {t.number: r.metrics for t in trials if (r := _last(retrains, t, epochs, tested=False))}
    todo = [t for t in trials if t.number not in metrics]
    results = retrain_each(study, evaluator, todo, epochs, on_retrain, on_batch, save_model=False, test=False)
    metrics |= {t.number: r.metrics for t, r in zip(todo, results, strict=True) if r.error is None}
    scored = [(t, metrics[t.number][evaluator.objective]) for t in trials if t.number in metrics]
    scored.sort(key=lambda pair: pair[1], reverse=better == "maximize")  # stable: ties keep their rank
    return [trial for trial, _ in scored]


def shortlist(study: Study, count: int) -> list[Trial]:
    """The `count` trials a rerank trains: the leaderboard's best or, where a supernet scored them
    (a `supernet_*` objective) and their FLOPs are known, the best by the sum of their place by
    that score and their place by FLOPs (largest first; ties keep the supernet's order). A short
    supernet training underrates large paths, which train slower, and the two orders err
    differently: on the main job's space this shortlist trained better on its own than the
    supernet's best alone (benchmarks/results/one_shot_mnist1d.md)."""
    board = study.leaderboard()
    by_supernet = from_supernet(study.objectives[0].metric)
    if not by_supernet or not all("flops" in t.metrics for t in board):
        return board[:count]
    by_flops = {t.number: place for place, t in enumerate(sorted(board, key=lambda t: -t.metrics["flops"]))}
    places = {t.number: place + by_flops[t.number] for place, t in enumerate(board)}
    return sorted(board, key=lambda t: places[t.number])[:count]


def _last(
    retrains: list[Retrain], trial: Trial, epochs: int | None, *, tested: bool, on_valid: bool | None = None
) -> Retrain | None:
    """`trial`'s last successful retraining for `epochs`, with or without the test split (and,
    where `on_valid` is given, trained on the validation split or not)."""
    done = [
        r
        for r in retrains
        if r.trial == trial.number
        and r.fidelity == epochs
        and r.ok
        and r.tested == tested
        and (on_valid is None or r.trained_on_valid == on_valid)
    ]
    return done[-1] if done else None

"""Retraining several trials at once, each in a worker process with one torch thread.

A second thread speeds one training of a small network up 1.2-1.5× on two cores, where a second
process trains a second network at nearly full speed, so a study's final retrainings run side
by side where cores are free. Each result is stored as soon as it ends, so an interrupted batch
resumes with the rest.
"""

from __future__ import annotations

import concurrent.futures as cf
import pickle
from collections.abc import Callable
from typing import TYPE_CHECKING

from nasforge.evaluators.base import Evaluator, Result, run_evaluation
from nasforge.execution.worker_pool import ProcessExecutor
from nasforge.trial import Trial

if TYPE_CHECKING:
    from nasforge.study.study import Study


def retrain_in_pool(
    study: Study,
    evaluator: Evaluator,
    trials: list[Trial],
    fidelity: float | None,
    *,
    workers: int,
    save_model: bool = True,
    test: bool = True,
    train_on_valid: bool = False,
    on_done: Callable[[Trial], None] | None = None,
) -> list[Result]:
    """`Study.retrain` for each of `trials`, `workers` at a time in processes of one thread;
    `on_done(trial)` after each. The evaluator and space must pickle (`picklable`).

    Returns:
        The results, in the order of `trials`.

    Example:
        >>> # retrain_in_pool(study, evaluator, study.leaderboard(5), 40, workers=2)
    """
    done: dict[int, Result] = {}
    with study.storage.writing():
        pool = ProcessExecutor(workers, threads=1)
        try:
            futures = {}
            for trial in sorted(trials, key=_size, reverse=True):  # the largest first: less idling
                options = study.retrain_options(
                    trial, fidelity, save_model=save_model, test=test, train_on_valid=train_on_valid
                )
                call = (evaluator, trial.genotype, study.space, fidelity, options)
                future = pool.submit(run_evaluation, *call)
                futures[future] = (trial, options)
            for future in cf.as_completed(futures):
                trial, options = futures[future]
                try:
                    result = future.result()
                except Exception as exc:  # the worker died: that trial's retraining failed alone
                    result = Result(error=f"{type(exc).__name__}: {exc}")
                study.record_retrain(trial, fidelity, result, options)
                done[trial.number] = result
                if on_done is not None:
                    on_done(trial)
        except BaseException:  # Ctrl-C: end the running retrainings now
            pool.shutdown(wait=False)
            raise
        pool.shutdown()
    return [done[trial.number] for trial in trials]


def _size(trial: Trial) -> float:
    """How long `trial` takes to train, roughly: its FLOPs (else parameters) per example."""
    return trial.metrics.get("flops", trial.metrics.get("params", 0.0))


def picklable(*objects: object) -> bool:
    """Whether `objects` can be sent to a worker process and rebuilt there (a space of a function
    defined in a notebook cannot: it is sent by its import path)."""
    try:
        pickle.loads(pickle.dumps(objects))
    except Exception:
        return False
    return True

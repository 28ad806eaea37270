"""A time limit on one evaluation, enforced in the process that runs it."""

from __future__ import annotations

import signal
import threading
from types import FrameType

from nasforge.evaluators.base import EvalOptions, Evaluator, Result, run_evaluation
from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace


class TrialTimeout(BaseException):
    """Raised inside an evaluation whose time is up (a BaseException, so evaluators let it pass)."""


def evaluate_within(
    timeout_s: float | None,
    evaluator: Evaluator,
    genotype: Genotype,
    space: SearchSpace,
    fidelity: float | None,
    options: EvalOptions | None = None,
) -> Result:
    """`run_evaluation`, stopped after `timeout_s` seconds (None: no limit) with a retryable error.

    The limit is a SIGALRM timer, so it holds where the evaluation runs on a main thread (a
    serial search, a pool worker, a Ray task) and is not applied elsewhere.

    Example:
        >>> import numpy as np
        >>> from nasforge import NB201Space, TabularEvaluator
        >>> space = NB201Space()
        >>> cell = space.sample(np.random.default_rng(0))
        >>> evaluate_within(5.0, TabularEvaluator(), cell, space, None).error is None
        True
    """
    if timeout_s is None or threading.current_thread() is not threading.main_thread():
        return run_evaluation(evaluator, genotype, space, fidelity, options)

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TrialTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        return run_evaluation(evaluator, genotype, space, fidelity, options)
    except TrialTimeout:
        return Result(cost_s=timeout_s, error=f"timed out after {timeout_s:g} s", retryable=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

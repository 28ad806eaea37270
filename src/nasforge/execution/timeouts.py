"""A time limit on one evaluation: a SIGALRM in the process that runs it, and, for a call stuck
where no signal reaches it (C code), a kill by the driver `KILL_GRACE_S` seconds later."""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType
from typing import TypeVar

from nasforge.evaluators.base import EvalOptions, Evaluator, Result, run_evaluation
from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace

T = TypeVar("T")
KILL_GRACE_S = 5.0  # past its limit, a call that did not stop itself is killed by the driver


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


def stuck(timeout_s: float) -> Result:
    """The result of a call killed by the driver: past its limit and the grace, it had not stopped."""
    return Result(
        cost_s=timeout_s + KILL_GRACE_S,
        error=f"timed out after {timeout_s:g} s (stuck where the limit could not stop it: "
        f"its worker was killed {KILL_GRACE_S:g} s later)",
        retryable=True,
    )


def past_deadline(started: dict[T, float], timeout_s: float | None) -> list[T]:
    """The calls of `started` (call -> monotonic start) running for `timeout_s + KILL_GRACE_S` or longer."""
    if timeout_s is None:
        return []
    now = time.monotonic()
    return [call for call, start in started.items() if now - start >= timeout_s + KILL_GRACE_S]


def until_deadline(started: dict[T, float], timeout_s: float | None) -> float | None:
    """Seconds until the first call of `started` passes `timeout_s + KILL_GRACE_S` (None: no limit)."""
    if timeout_s is None or not started:
        return None
    return max(0.0, min(started.values()) + timeout_s + KILL_GRACE_S - time.monotonic())

"""`Trial`: one evaluation of one architecture, as stored in a study."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from nasforge.genotype import Genotype


class TrialState(StrEnum):
    """Where a trial stands."""

    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    PRUNED = "PRUNED"

    @property
    def finished(self) -> bool:
        """True once the trial will not change any more."""
        return self is not TrialState.RUNNING


class Candidate(NamedTuple):
    """What a strategy asks to evaluate: an architecture and a fidelity (None = full)."""

    genotype: Genotype
    fidelity: float | None = None


@dataclass
class Trial:
    """One architecture's evaluation.

    `values` holds the study's objectives, in order, as measured; `score` is the first one
    oriented so that higher is better (negated when minimizing): it is what single-objective
    strategies compare, and None unless the trial is COMPLETE. `feasible` says whether the
    study's constraints hold (None while running). `step` is the last step (epoch) reached, set
    for PRUNED trials. `origin` is None for trials the strategy asked for, "promotion" for an
    architecture run again at a higher fidelity.
    """

    number: int
    genotype: Genotype
    key: str
    fidelity: float | None = None
    state: TrialState = TrialState.RUNNING
    metrics: dict[str, float] = field(default_factory=dict)
    cost_s: float = 0.0
    reason: str | None = None
    score: float | None = None
    asked_after: int = 0
    told: int | None = None
    started: float | None = None
    ended: float | None = None
    values: list[float] | None = None
    feasible: bool | None = None
    step: int | None = None
    origin: str | None = None

    @property
    def candidate(self) -> Candidate:
        """The (genotype, fidelity) pair this trial evaluates."""
        return Candidate(self.genotype, self.fidelity)


def reached(trial: Trial) -> float:
    """The fidelity a trial ran at: its own, else the epochs its evaluator reports training, else
    minus infinity (unknown: any trial of known fidelity counts as higher, for ranking and for
    promotion alike)."""
    if trial.fidelity is not None:
        return trial.fidelity
    return trial.metrics.get("epochs", -math.inf)


@dataclass(frozen=True)
class Retrain:
    """A trial's architecture trained again (a final retraining or a reranking), as the study
    stores it: the trial, the epochs (`fidelity`, None for the evaluator's own), what it measured
    and why it failed (None when it did not).

    Example:
        >>> r = Retrain(trial=3, fidelity=40.0, metrics={"valid_accuracy": 0.9, "test_accuracy": 0.88})
        >>> r.ok, r.tested, r.trained_on_valid
        (True, True, False)
    """

    trial: int
    fidelity: float | None
    metrics: dict[str, float]
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the retraining finished."""
        return not self.error

    @property
    def tested(self) -> bool:
        """A final retraining (it measured the test split), not a reranking."""
        return any(name.startswith("test_") for name in self.metrics)

    @property
    def trained_on_valid(self) -> bool:
        """Trained on the training and validation splits together: it reports no validation figure."""
        return not any(name.startswith("valid_") for name in self.metrics)

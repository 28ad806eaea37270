"""`Evaluator`, what it is asked (`EvalOptions`) and what it returns (`Result`)."""

from __future__ import annotations

import math
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from nasforge._registry import init_params
from nasforge.evaluators.schema import MetricSpec
from nasforge.evaluators.stop_rule import StopRule
from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.task import Task


@dataclass
class Artifacts:
    """What an evaluation keeps besides its final metrics.

    Args:
        curves: per-step series by name (e.g. `valid_accuracy` per epoch).
        curves_start: the step the curves start at (a training continued from a checkpoint).
        steps: the step of each value of a curve, by name, where they are not consecutive
            (a function that reports every 10 steps); other curves count from `curves_start`.
        timings: every timed call by name (e.g. `inference_ms`), stored as curves.
        checkpoint: where a resumable checkpoint was written (for a promotion to continue).
    """

    curves: dict[str, list[float]] = field(default_factory=dict)
    curves_start: int = 0
    steps: dict[str, list[int]] = field(default_factory=dict)
    timings: dict[str, list[float]] | None = None
    checkpoint: str | None = None


@dataclass
class Result:
    """What an evaluation returns.

    Args:
        metrics: final values by name (accuracy, latency, …).
        cost_s: what the evaluation cost, in (possibly simulated) seconds.
        artifacts: what else it keeps: per-step curves, timings, a checkpoint.
        error: why the evaluation failed, or None.
        pruned_at: the step (epoch, from 0) after which the evaluation was stopped early, or None.
        retryable: the failure came from where it ran (a dead worker, a timeout), not from the
            architecture, so the study may run it again.
    """

    metrics: dict[str, float] = field(default_factory=dict)
    cost_s: float = 0.0
    artifacts: Artifacts = field(default_factory=Artifacts)
    error: str | None = None
    pruned_at: int | None = None
    retryable: bool = False


@dataclass(frozen=True)
class EvalOptions:
    """What a study asks of one evaluation beyond the architecture and fidelity.

    Args:
        test: also measure the test split (final retrains; search trials only when asked).
        stop: stop early when an intermediate value falls behind (the trial is then PRUNED).
        resume_from: a checkpoint of the same architecture at a lower fidelity to continue from.
        checkpoint_to: where to save a resumable checkpoint (for promotion to a higher fidelity).
        model_to: a folder to save the trained weights and model card in.
        on_epoch: called with (epochs done, epochs in all) after each epoch, for progress bars
            of in-process work such as a final retraining (leave None for pooled trials).
        train_on_valid: train on the training and validation splits together (a final fit whose
            recipe is settled); no validation metrics are then reported.
    """

    test: bool = False
    stop: StopRule | None = None
    resume_from: str | None = None
    checkpoint_to: str | None = None
    model_to: str | None = None
    on_epoch: Callable[[int, int], None] | None = None
    train_on_valid: bool = False


V = TypeVar("V")


def without_validation(metrics: dict[str, V]) -> dict[str, V]:
    """The metrics of a model that trained on the validation split: its `valid_*` figures dropped
    (they measure examples it learnt from)."""
    return {k: v for k, v in metrics.items() if not k.startswith("valid_")}


class Evaluator(ABC):
    """Judges one architecture. Picklable; never sees the strategy or the storage."""

    name: ClassVar[str]
    objective: str  # the metric a study optimises unless told otherwise

    @abstractmethod
    def evaluate(
        self,
        genotype: Genotype,
        space: SearchSpace,
        fidelity: float | None = None,
        options: EvalOptions | None = None,
    ) -> Result:
        """Evaluate `genotype` of `space` at `fidelity` (None = the evaluator's full budget)."""

    @abstractmethod
    def metric_schema(self) -> list[MetricSpec]:
        """Every metric `evaluate` may return (test-split ones only when `options.test`)."""

    def config(self) -> dict[str, Any]:
        """Everything needed to rebuild this evaluator with `nasforge.evaluators.make_evaluator`."""
        return {"name": self.name, **init_params(self)}

    def metadata(self) -> dict[str, Any]:
        """Facts worth storing with a study, such as the data's sizes and normalisation statistics."""
        return {}

    def check(self, space: SearchSpace | None = None) -> None:
        """Raise a clear error now for a setting that would fail every trial (e.g. a missing device)."""
        del space  # nothing to check by default

    def data_task(self) -> Task | None:
        """The task the evaluated models are built for (its data's), or None without data."""
        return None

    def refusal(self, genotype: Genotype, space: SearchSpace) -> str | None:
        """Why `evaluate` would fail `genotype` before any work (e.g. above a size cap), or None."""
        del genotype, space  # nothing is refused by default
        return None

    def stand_alone(self) -> Evaluator:
        """What trains a chosen architecture on its own (the final retraining): this evaluator,
        or for one that scores on shared weights, the training evaluator of the same data."""
        return self


def run_evaluation(
    evaluator: Evaluator,
    genotype: Genotype,
    space: SearchSpace,
    fidelity: float | None,
    options: EvalOptions | None = None,
) -> Result:
    """Call `evaluator.evaluate`, turning an exception or a non-finite metric into `Result.error`.

    This is what executors run, so a failure in a worker reaches the study as data.
    """
    try:
        result = evaluator.evaluate(genotype, space, fidelity, options)
    except Exception as exc:
        last = traceback.extract_tb(exc.__traceback__)[-1]
        return Result(error=f"{type(exc).__name__}: {exc} (at {last.filename}:{last.lineno})")
    bad = sorted(k for k, v in result.metrics.items() if not math.isfinite(v))
    if bad and result.error is None:
        result.error = f"non-finite metric(s): {', '.join(bad)}"
    return result

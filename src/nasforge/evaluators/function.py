"""`FunctionEvaluator`: the user's own training or scoring, as a plain function.

The function receives a `Call` (the knob values, the genotype, the fidelity, the data and a
model built for it, and `report` for per-step values) and returns its metrics (a dict, or one
number for the objective). Per-step values become the trial's curves and drive early stopping
(the median pruner); the function is found again by import path, so it runs in process pools and
on Ray.
"""

from __future__ import annotations

import inspect
import operator
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nasforge.errors import InvalidArgumentError
from nasforge.evaluators.base import Artifacts, EvalOptions, Evaluator, Result
from nasforge.evaluators.schema import MetricSpec
from nasforge.evaluators.seeding import torch_seeded
from nasforge.genotype import Genotype
from nasforge.spaces.base import SearchSpace
from nasforge.spaces.define_by_run.knobs import Knobs
from nasforge.spaces.define_by_run.loading import absolute_path, import_function, import_path
from nasforge.spaces.define_by_run.optuna_trial import KnobTrial
from nasforge.task import Task
from nasforge.validation import check_choice, check_int

if TYPE_CHECKING:
    from torch import nn

    from nasforge.data import Dataset

DIRECTIONS = ("maximize", "minimize")


class StopTrial(Exception):
    """Raised by `Call.report` when the study's early-stopping rule stops the trial."""


@dataclass
class Call:
    """What the user's function is given for one evaluation.

    Attributes:
        knobs: the architecture's knob values by name (a define-by-run space's; other spaces'
            features).
        genotype: the architecture.
        space: its search space.
        fidelity: the budget asked for (e.g. epochs), or None for the full one.
        data: the evaluator's dataset (train / valid / test splits), or None without `data`.
        seed: the evaluator's seed.
    """

    knobs: dict[str, Any]
    genotype: Genotype
    space: SearchSpace
    fidelity: float | None
    data: Dataset | None
    seed: int
    options: EvalOptions = field(default_factory=EvalOptions)
    curves: dict[str, list[float]] = field(default_factory=dict)
    steps: dict[str, list[int]] = field(default_factory=dict)

    def model(self) -> nn.Module:
        """The architecture built for the data's task (a fresh `torch.nn.Module`)."""
        if self.data is None:
            raise InvalidArgumentError(
                "Call.model() needs the evaluator's data (FunctionEvaluator(data=...))"
            )
        with torch_seeded(self.seed):  # seeded here, the caller's generator untouched
            return self.space.build(self.genotype, self.data.task)

    def report(self, step: int, **values: float) -> None:
        """Per-step values (e.g. `report(epoch, valid_r2=0.8)`): stored as curves at `step`;
        raises `StopTrial` when the study's early-stopping rule says the trial is behind the
        median of earlier trials at that same step (let it pass)."""
        at = self.record(step, **values)
        if self.behind(at):
            raise StopTrial(at)

    def record(self, step: int, **values: float) -> int:
        """Store per-step values as `report` does, without stopping; the step, checked."""
        try:
            at = check_int("step", operator.index(step), minimum=0)
        except TypeError:
            raise InvalidArgumentError(f"step must be a whole number >= 0, got {step!r}") from None
        for name, value in values.items():
            self.curves.setdefault(name, []).append(_number(f"report({name}=...)", value))
            self.steps.setdefault(name, []).append(at)
        return at

    def behind(self, step: int) -> bool:
        """Whether the study's early-stopping rule stops the trial at `step` (its value there)."""
        stop = self.options.stop
        if stop is None or stop.metric not in self.steps or self.steps[stop.metric][-1] != step:
            return False
        return stop.should_stop(step, self.curves[stop.metric][-1])


class FunctionEvaluator(Evaluator):
    """A plain function as the evaluator: `function(call) -> {metric: value}` (or one number).

    Args:
        function: the function, or its import path (`package.module:name` or `file.py:name`).
        metrics: every metric it returns, with its direction (`{"valid_r2": "maximize"}`); the
            first is the default objective. A name starting `test_` is a test-split metric.
        data: a dataset for `call.data` and `call.model()` (a name or path, as `--data`).
        seed: seeds `call.model()`'s initialisation, and is given to the function.
        interface: "call" (`function(call)`), or "optuna": an Optuna objective `function(trial)`,
            given a trial whose `suggest_*` return the genotype's knobs, whose `report(value,
            step)` stores the first metric's curve and whose `should_prune()` asks the study's
            early-stopping rule (raising `optuna.TrialPruned` ends the trial as PRUNED).

    Example:
        >>> def score(call):
        ...     return {"fit": -abs(call.knobs["x"] - 3)}
        >>> from nasforge.spaces.define_by_run import space
        >>> xs = space(lambda k: k.int("x", 0, 9))
        >>> evaluator = FunctionEvaluator(function=score, metrics={"fit": "maximize"})
        >>> evaluator.evaluate(xs.parse("x=5"), xs).metrics
        {'fit': -2.0}
    """

    name = "function"

    def __init__(
        self,
        *,
        function: str | Callable[..., Any],
        metrics: Mapping[str, str] | None = None,
        data: str | None = None,
        data_dir: str | None = None,
        label_column: str | None = None,
        seed: int = 0,
        interface: str = "call",
    ) -> None:
        self.interface = check_choice("interface", interface, ("call", "optuna"))
        self.fn = import_function(function) if isinstance(function, str) else function
        self.function = absolute_path(function) if isinstance(function, str) else _importable(function)
        if len(inspect.signature(self.fn).parameters) != 1:
            raise InvalidArgumentError(f"function {self.function} must take one argument (the call)")
        self.metrics = dict(metrics or {"score": "maximize"})
        if not self.metrics:
            raise InvalidArgumentError("metrics must name at least one metric and its direction")
        for name, direction in self.metrics.items():
            check_choice(f"metrics[{name!r}]", direction, DIRECTIONS)
        self.objective = next(iter(self.metrics))
        self.data, self.data_dir, self.label_column, self.seed = data, data_dir, label_column, seed

    def __getstate__(self) -> dict[str, Any]:  # pickled by import path
        return {**self.__dict__, "fn": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.fn = import_function(self.function)

    def _run(self, call: Call) -> Any:
        """The function's return value; `StopTrial` where it stopped early."""
        if self.interface == "call":
            return self.fn(call)
        import optuna

        try:
            return self.fn(_optuna_trial(call, self.objective))
        except optuna.TrialPruned:
            raise StopTrial(call.steps.get(self.objective, [0])[-1]) from None

    def metric_schema(self) -> list[MetricSpec]:
        return [
            MetricSpec(name, "test" if name.startswith("test_") else "valid", direction)
            for name, direction in self.metrics.items()
        ]

    def dataset(self) -> Dataset | None:
        if self.data is None:
            return None
        from nasforge.data.cache import cached_dataset

        return cached_dataset(self.data, self.data_dir, self.label_column, 0)

    def data_task(self) -> Task | None:
        data = self.dataset()
        return None if data is None else data.task

    def check(self, space: SearchSpace | None = None) -> None:
        self.dataset()

    def evaluate(
        self,
        genotype: Genotype,
        space: SearchSpace,
        fidelity: float | None = None,
        options: EvalOptions | None = None,
    ) -> Result:
        knobs = space.values(genotype)
        data = self.dataset()
        call = Call(
            dict(knobs),
            genotype,
            space,
            fidelity,
            None if data is None else data.read_only(),
            self.seed,
            options or EvalOptions(),
        )
        start = time.perf_counter()
        try:
            returned = self._run(call)
        except StopTrial as stopped:
            last = {name: values[-1] for name, values in call.curves.items()}
            artifacts = Artifacts(curves=call.curves, steps=call.steps)
            return Result(last, time.perf_counter() - start, artifacts, pruned_at=stopped.args[0])
        metrics = returned if isinstance(returned, Mapping) else {self.objective: returned}
        try:
            out = {str(k): _number(f"metric {k!r}", v) for k, v in metrics.items()}
        except InvalidArgumentError:
            raise InvalidArgumentError(
                f"function {self.function} must return a number or a dict of numbers, got {returned!r}"
            ) from None
        return Result(out, time.perf_counter() - start, Artifacts(curves=call.curves, steps=call.steps))


def _optuna_trial(call: Call, objective: str) -> KnobTrial:
    """An Optuna-style trial over the call: its knobs, its curve of `objective`, its stop rule."""

    def report(step: int, value: float) -> None:
        call.record(step, **{objective: value})

    def should_prune() -> bool:
        steps = call.steps.get(objective)
        return steps is not None and call.behind(steps[-1])

    return KnobTrial(Knobs(call.knobs), report=report, should_prune=should_prune)


def _number(what: str, value: Any) -> float:
    """`value` as a float: a Python or NumPy number, or a one-element array or tensor."""
    if isinstance(value, (bool, str)):
        raise InvalidArgumentError(f"{what} must be a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{what} must be a number, got {value!r}") from None


def _importable(function: Callable[..., Any]) -> str:
    try:
        return import_path(function)
    except InvalidArgumentError:
        return f"<unimportable>:{function.__qualname__}"


__all__ = ["Call", "FunctionEvaluator", "StopTrial"]

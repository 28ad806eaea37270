"""`KnobTrial`: an `optuna.Trial` look-alike over `Knobs`, so that an existing Optuna objective
(`def objective(trial)` with `trial.suggest_*`, `trial.report`, `trial.should_prune`) runs
unchanged as a nasforge space (its suggestions are the knobs) and evaluator (its return value).

While nasforge only traces the knobs, the first `report` or `should_prune` ends the call
(`TraceDone`): an objective that suggests before it trains is traced without training.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from nasforge.spaces.define_by_run.knobs import Knobs


class TraceDone(Exception):
    """Raised inside a traced objective at its first `report` or `should_prune`."""


class KnobTrial:
    """What an Optuna objective is given: `suggest_int`, `suggest_float`, `suggest_categorical`
    ask nasforge knobs of the same domains; `report(value, step)` and `should_prune()` go to the
    evaluation (a study's early-stopping rule).

    Example:
        >>> import numpy as np
        >>> trial = KnobTrial(Knobs({"x": 3.0}))
        >>> trial.suggest_float("x", -10, 10), trial.params
        (3.0, {'x': 3.0})
    """

    def __init__(
        self,
        knobs: Knobs,
        *,
        number: int = 0,
        report: Callable[[int, float], None] | None = None,
        should_prune: Callable[[], bool] | None = None,
    ) -> None:
        self._knobs, self.number = knobs, number
        self._report, self._should_prune = report, should_prune
        self.user_attrs: dict[str, Any] = {}

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        return self._knobs.int(name, low, high, step=step, log=log)

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        return self._knobs.float(name, low, high, step=step, log=log)

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        return self._knobs.choice(name, list(choices))

    def report(self, value: float, step: int) -> None:
        if self._knobs.tracing:
            raise TraceDone
        if self._report is not None:
            self._report(step, value)

    def should_prune(self) -> bool:
        if self._knobs.tracing:
            raise TraceDone
        return self._should_prune() if self._should_prune is not None else False

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value

    @property
    def params(self) -> dict[str, Any]:
        """The knobs suggested so far, by name."""
        return dict(self._knobs.values)

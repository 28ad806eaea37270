"""The finished trials of a study as a table of knob values against the objective, for analysis."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from nasforge.study.record import StudyRecord
from nasforge.trial import Trial, TrialState

_POSITION = re.compile(r"^[a-z_]+\d+\.")  # "conv2.channels" -> knob "channels"


def knob_of(feature: str) -> str:
    """The knob a feature belongs to: per-block features of a chain share their knob's name."""
    return _POSITION.sub("", feature)


@dataclass(frozen=True)
class KnobData:
    """COMPLETE trials with a finite first objective; `y` is that objective turned so that higher
    is better; `features` holds each trial's knob values (`SearchSpace.features`)."""

    trials: list[Trial]
    features: list[dict[str, Any]]
    choices: dict[str, tuple[Any, ...]]
    allowed: dict[str, tuple[Any, ...]]
    y: np.ndarray

    def column(self, feature: str) -> list[Any]:
        """The feature's value in every trial (None where the trial lacks it)."""
        return [f.get(feature) for f in self.features]

    def values_by_trial(self, features: list[str]) -> list[list[Any]]:
        """Per trial, the values it has for these features (e.g. one knob in every block)."""
        columns = [self.column(f) for f in features]
        return [[c[i] for c in columns if c[i] is not None] for i in range(len(self.features))]

    def knobs(self) -> dict[str, list[str]]:
        """Features grouped by knob, keeping the knobs whose values vary across the trials."""
        groups: dict[str, list[str]] = {}
        for name in self.features[0] if self.features else {}:
            groups.setdefault(knob_of(name), []).append(name)
        return {
            knob: names
            for knob, names in groups.items()
            if len({_hashable(v) for n in names for v in self.column(n) if v is not None}) > 1
        }


def knob_data(record: StudyRecord) -> KnobData:
    """The study's finished trials as knob values and oriented first-objective values."""
    space = record.space_or_none
    objective = record.objectives[0]
    trials = [
        t
        for t in record.trials
        if t.state is TrialState.COMPLETE and np.isfinite(t.metrics.get(objective.metric, np.nan))
    ]
    y = _oriented(trials, record)
    if space is None:
        return KnobData(trials, [{} for _ in trials], {}, {}, y)
    features = [space.features(t.genotype) for t in trials]
    return KnobData(trials, features, space.feature_choices(), space.feature_choices(allowed=True), y)


def _oriented(trials: list[Trial], record: StudyRecord) -> np.ndarray:
    objective = record.objectives[0]
    return np.array([objective.oriented(t.metrics[objective.metric]) for t in trials], dtype=float)


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, list | dict) else value

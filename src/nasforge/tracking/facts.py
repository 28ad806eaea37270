"""What every tracking integration records of a study and its trials: the knob values with their
Optuna distributions, the tags (state, fidelity, strategy) and the final metrics."""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from nasforge.study.record import StudyRecord
from nasforge.trial import Trial

ARCHITECTURE = "architecture"  # the one param of a trial whose space is not installed here


def study_key(record: StudyRecord) -> str:
    """What identifies a study to a tracker: its file and a digest of its configuration (a study
    made again at the same path is another study)."""
    config = record.config.model_dump(mode="json", exclude={"settings", "metadata"})
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]
    where = "memory" if record.file is None else str(record.file.resolve())
    return f"{where}#{digest}"


def study_name(record: StudyRecord) -> str:
    """A person's name for the study: its file's name without the suffix."""
    return "nasforge-study" if record.file is None else record.file.stem


def finished(record: StudyRecord) -> list[Trial]:
    """The trials that ended (complete, pruned or failed), by number: what trackers log."""
    return sorted((t for t in record.trials if t.state.finished), key=lambda t: t.number)


def knobs(record: StudyRecord, trial: Trial) -> dict[str, Any]:
    """The trial's knob values by name (the space's `suggested` params); its architecture in text
    where the space is not installed here."""
    space = record.space_or_none
    if space is None:
        return {ARCHITECTURE: record.format(trial.genotype)}
    params, _ = space.suggested(trial.genotype)
    return dict(params)


def knobs_and_distributions(
    record: StudyRecord, trial: Trial, seen: dict[str, set[str]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """`knobs(record, trial)` with their Optuna distributions (one `suggested` call): the space's
    own, or a categorical over the architectures `seen` where the space is not installed here."""
    from optuna.distributions import CategoricalDistribution

    space = record.space_or_none
    if space is None:
        return knobs(record, trial), {ARCHITECTURE: CategoricalDistribution(sorted(seen[ARCHITECTURE]))}
    params, dists = space.suggested(trial.genotype)
    return dict(params), dict(dists)


def tags(record: StudyRecord, trial: Trial) -> dict[str, str]:
    """State, fidelity ("full" where the trial ran the evaluator's whole budget), strategy,
    origin, the failure's reason and the architecture, as text."""
    out = {
        "state": trial.state.value,
        "fidelity": "full" if trial.fidelity is None else f"{trial.fidelity:g}",
        "strategy": record.config.strategy.name,
        "architecture": record.label(trial.genotype),
    }
    if trial.origin:
        out["origin"] = trial.origin
    if trial.reason:
        out["reason"] = trial.reason
    return out


def final_metrics(trial: Trial) -> dict[str, float]:
    """The trial's final metrics that are finite numbers (what trackers can plot)."""
    return {k: float(v) for k, v in trial.metrics.items() if isinstance(v, int | float) and math.isfinite(v)}


def plain(value: Any) -> int | float | str | bool:
    """A knob value as a tracker's table takes it: a number, a bool or text."""
    if isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value) if isinstance(value, list | tuple | dict) else str(value)

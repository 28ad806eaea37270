"""What a study asks of each evaluation: test metrics, early stopping, checkpoints to continue
from and to keep, and where kept models go (`EvalOptions`), from the study's settings and trials."""

from __future__ import annotations

from pathlib import Path

from nasforge.evaluators.base import EvalOptions
from nasforge.evaluators.stop_rule import StopRule
from nasforge.study.early_stopping import median_rule
from nasforge.study.storage import Storage
from nasforge.trial import Trial, TrialState, reached

PLAIN = EvalOptions()


def stop_rule(
    trials: list[Trial],
    storage: Storage,
    metric: str,
    direction: str,
    min_trials: int,
    known: dict[int, dict[int, float]],
) -> StopRule | None:
    """The median rule over the COMPLETE trials' per-step `metric` (None with too few of them).

    `known` caches each finished trial's curve (it never changes), so each is read once.
    """
    curves = []
    for trial in trials:
        if trial.state is TrialState.COMPLETE:
            if trial.number not in known:
                known[trial.number] = storage.load_curve_points(trial.number).get(metric, {})
            if known[trial.number]:
                curves.append(known[trial.number])
    return median_rule(metric, direction, curves, min_trials=min_trials)


def checkpoint_path(artifacts: Path, trial: Trial) -> Path:
    """Where `trial`'s resumable checkpoint is kept."""
    return artifacts / "checkpoints" / f"trial{trial.number}.safetensors"


def model_dir(artifacts: Path, trial: Trial, fidelity: float | None) -> Path:
    """Where the model of `trial` retrained at `fidelity` is kept."""
    return artifacts / f"model-trial{trial.number}-f{fidelity if fidelity is not None else 'full'}"


def checkpoint_below(trials: list[Trial], artifacts: Path, trial: Trial) -> Trial | None:
    """The trial of the same architecture at the highest lower fidelity whose checkpoint was kept."""
    target = reached(trial)
    lower = [
        t for t in trials if t.key == trial.key and t.state is TrialState.COMPLETE and reached(t) < target
    ]
    for candidate in sorted(lower, key=reached, reverse=True):
        if checkpoint_path(artifacts, candidate).exists():
            return candidate
    return None

"""A study's trials written into an Optuna study (through Optuna's public API: `create_trial`
and `Study.add_trials`), so `optuna-dashboard` and Optuna's own plots and importances read them.

Each trial keeps its number's order, its knob values with the space's Optuna distributions, its
objective values, the per-epoch curve of its first objective as intermediate values, its state
(complete, pruned, failed), its start and end times, and as user attributes its fidelity,
strategy, failure reason and final metrics (`metrics`, one mapping). Trials still running are left out.
"""

from __future__ import annotations

import datetime
import warnings
from dataclasses import dataclass
from typing import Any

from nasforge.errors import InvalidArgumentError
from nasforge.study.record import StudyRecord
from nasforge.tracking import facts
from nasforge.trial import Trial, TrialState


@dataclass(frozen=True)
class OptunaExport:
    """What was written: the Optuna storage and study name, and how many trials of each state."""

    storage: str
    study_name: str
    trials: int
    complete: int
    pruned: int
    failed: int
    skipped_running: int


def export_to_optuna(
    record: StudyRecord, storage: str, *, study_name: str | None = None, replace: bool = False
) -> OptunaExport:
    """Write `record`'s finished trials into a new Optuna study `study_name` (default: the study
    file's name) in the Optuna `storage` URL (e.g. `sqlite:///optuna.db`).

    Raises:
        InvalidArgumentError: an Optuna study of that name already holds trials (and `replace`
            is False), or the storage URL cannot be opened.
    """
    import optuna

    name = study_name or facts.study_name(record)
    try:
        exists = name in optuna.study.get_all_study_names(storage)
    except Exception as exc:  # a bad URL, a missing driver, an unreachable database: said in one line
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidArgumentError(f"cannot open the Optuna storage {storage!r}: {reason}") from None
    if exists and not replace:
        raise InvalidArgumentError(
            f"the Optuna storage {storage} already has a study {name!r}; "
            "give another --optuna-study-name, or --replace it"
        )
    try:
        if exists:
            optuna.delete_study(study_name=name, storage=storage)
        directions = [optuna.study.StudyDirection[o.direction.upper()] for o in record.objectives]
        target = optuna.create_study(storage=storage, study_name=name, directions=directions)
    except (ValueError, optuna.exceptions.OptunaError) as exc:
        raise InvalidArgumentError(f"cannot write the Optuna study {name!r} at {storage!r}: {exc}") from None
    with warnings.catch_warnings():  # "experimental" since Optuna 3.2; the dashboard shows the names
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        target.set_metric_names([o.metric for o in record.objectives])
    target.set_user_attr("nasforge_study", facts.study_key(record))
    trials = facts.finished(record)
    seen = {facts.ARCHITECTURE: {record.format(t.genotype) for t in trials}}
    frozen = [_frozen(record, trial, seen) for trial in trials]
    target.add_trials(frozen)
    states = [t.state for t in frozen]
    TS = optuna.trial.TrialState
    return OptunaExport(
        storage=storage,
        study_name=name,
        trials=len(frozen),
        complete=states.count(TS.COMPLETE),
        pruned=states.count(TS.PRUNED),
        failed=states.count(TS.FAIL),
        skipped_running=len(record.trials) - len(trials),
    )


def _frozen(record: StudyRecord, trial: Trial, seen: dict[str, set[str]]) -> Any:
    import optuna

    TS = optuna.trial.TrialState
    values = [trial.metrics.get(o.metric) for o in record.objectives]
    complete = trial.state is TrialState.COMPLETE and trial.reason is None and None not in values
    state = TS.COMPLETE if complete else TS.PRUNED if trial.state is TrialState.PRUNED else TS.FAIL
    curve = record.curve_points(trial.number).get(record.objectives[0].metric, {})
    user_attrs: dict[str, Any] = {"nasforge_trial": trial.number, **facts.tags(record, trial)}
    user_attrs["metrics"] = facts.final_metrics(trial)  # one attribute: Optuna writes each in a query
    params, distributions = facts.knobs_and_distributions(record, trial, seen)
    frozen = optuna.trial.create_trial(
        state=state,
        values=[float(v) for v in values if v is not None] if complete else None,
        params=params,
        distributions=distributions,
        user_attrs=user_attrs,
        intermediate_values={int(step): float(v) for step, v in curve.items()},
    )
    if trial.started is not None:
        frozen.datetime_start = datetime.datetime.fromtimestamp(trial.started)
    if trial.ended is not None:
        frozen.datetime_complete = datetime.datetime.fromtimestamp(trial.ended)
    return frozen

"""Flat rows of a study's trials, for leaderboards and CSV / JSON export (read from a `StudyRecord`)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from nasforge.trial import Trial

if TYPE_CHECKING:
    from nasforge.study.record import StudyRecord


def trial_row(record: StudyRecord, trial: Trial, metrics: list[str] | None = None) -> dict[str, Any]:
    """One trial as a flat dict: number, state, arch, key, objectives, feasibility, timing, metrics."""
    row: dict[str, Any] = {
        "number": trial.number,
        "state": trial.state.value,
        "arch": record.format(trial.genotype),
        "key": trial.key,
        "fidelity": trial.fidelity,
    }
    for objective in record.objectives:
        row[objective.metric] = trial.metrics.get(objective.metric)
    row.update(
        feasible=trial.feasible,
        step=trial.step,
        cost_s=trial.cost_s,
        started=trial.started,
        ended=trial.ended,
        reason=trial.reason,
    )
    for name in metrics if metrics is not None else sorted(trial.metrics):
        row.setdefault(name, trial.metrics.get(name))
    return row


def trial_rows(record: StudyRecord, trials: list[Trial] | None = None) -> list[dict[str, Any]]:
    """Rows for `trials` (default: all), every row with the same columns."""
    trials = record.trials if trials is None else trials
    names = sorted({name for t in trials for name in t.metrics})
    return [trial_row(record, t, names) for t in trials]


def curve_rows(trial: int, curves: dict[str, list[float]]) -> list[dict[str, Any]]:
    """Long-form rows (trial, name, step, value) of a trial's per-step series."""
    return [
        {"trial": trial, "name": name, "step": step, "value": value}
        for name, values in curves.items()
        for step, value in enumerate(values)
    ]


def to_csv(rows: list[dict[str, Any]]) -> str:
    """CSV text with a header from the first row's keys."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()

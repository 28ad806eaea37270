"""Flat rows of a study's trials, for leaderboards and CSV / JSON export."""

from __future__ import annotations

import csv
import io
from typing import Any

from nasforge.study import Study
from nasforge.trial import Trial


def trial_row(study: Study, trial: Trial, metrics: list[str] | None = None) -> dict[str, Any]:
    """One trial as a flat dict: number, state, arch, key, objective, cost, reason, metrics."""
    row: dict[str, Any] = {
        "number": trial.number,
        "state": trial.state.value,
        "arch": study.space.format(trial.genotype),
        "key": trial.key,
        study.objective: trial.metrics.get(study.objective),
        "cost_s": trial.cost_s,
        "reason": trial.reason,
    }
    for name in metrics if metrics is not None else sorted(trial.metrics):
        row.setdefault(name, trial.metrics.get(name))
    return row


def trial_rows(study: Study, trials: list[Trial] | None = None) -> list[dict[str, Any]]:
    """Rows for `trials` (default: all), every row with the same columns."""
    trials = study.trials if trials is None else trials
    names = sorted({name for t in trials for name in t.metrics})
    return [trial_row(study, t, names) for t in trials]


def to_csv(rows: list[dict[str, Any]]) -> str:
    """CSV text with a header from the first row's keys."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()

"""Reading a study database: the queries shared by the writer (`Storage`) and readers (`StudyView`).

Every function takes an open `sqlite3.Connection` and only reads. Files of schema version 1
(release 0.1.0) lack a few columns and tables; they read as if those were empty.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from nasforge.errors import StudyError
from nasforge.genotype import Genotype
from nasforge.trial import Retrain, Trial, TrialState

TRIAL_COLUMNS = (
    "number, state, genotype, key, fidelity, cost_s, reason, score, asked_after, told, started, finished"
)
V2_COLUMNS = ("objective_values", "feasible", "step", "origin")
REQUIRED_TABLES = {"study", "trials", "metrics", "retrains"}


def tables(db: sqlite3.Connection) -> set[str]:
    """Names of the tables in the database."""
    return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def read_config(db: sqlite3.Connection) -> dict[str, Any] | None:
    """The stored study configuration, or None when there is none yet."""
    row = db.execute("SELECT config FROM study WHERE id = 1").fetchone()
    if row is None:
        return None
    try:
        config = json.loads(row[0])
    except json.JSONDecodeError as exc:
        raise StudyError(f"the study's stored configuration is not valid JSON ({exc})") from None
    if not isinstance(config, dict):
        raise StudyError(
            f"the study's stored configuration must be a JSON object, got {type(config).__name__}"
        )
    return config


def read_trials(db: sqlite3.Connection) -> list[Trial]:
    """Every trial, by number, with its final metrics, read in one transaction (a consistent snapshot)."""
    present = {row[1] for row in db.execute("PRAGMA table_info(trials)")}
    extra = [c if c in present else "NULL" for c in V2_COLUMNS]
    db.execute("BEGIN")
    try:
        metric_rows = db.execute("SELECT trial, name, value FROM metrics WHERE step = -1").fetchall()
        rows = db.execute(
            f"SELECT {TRIAL_COLUMNS}, {', '.join(extra)} FROM trials ORDER BY number"
        ).fetchall()
    finally:
        db.execute("COMMIT")
    metrics: dict[int, dict[str, float]] = {}
    for number, name, value in metric_rows:
        metrics.setdefault(number, {})[name] = value
    return [_trial(row, metrics.get(row[0], {})) for row in rows]


def _trial(row: tuple[Any, ...], metrics: dict[str, float]) -> Trial:
    try:
        return Trial(
            number=row[0],
            state=TrialState(row[1]),
            genotype=Genotype.from_json(row[2]),
            key=row[3],
            fidelity=row[4],
            cost_s=row[5],
            reason=row[6],
            score=row[7],
            asked_after=row[8],
            told=row[9],
            started=row[10],
            ended=row[11],
            values=None if row[12] is None else json.loads(row[12]),
            feasible=None if row[13] is None else bool(row[13]),
            step=row[14],
            origin=row[15],
            metrics=metrics,
        )
    except (ValueError, KeyError, TypeError) as exc:  # JSONDecodeError is a ValueError
        raise StudyError(f"trial {row[0]} in the study file is malformed ({exc})") from None


def read_curves(db: sqlite3.Connection, trial: int) -> dict[str, list[float]]:
    """The per-step series of a trial, by name."""
    curves: dict[str, list[float]] = {}
    for name, value in db.execute(
        "SELECT name, value FROM metrics WHERE trial = ? AND step >= 0 ORDER BY name, step", (trial,)
    ):
        curves.setdefault(name, []).append(value)
    return curves


def read_curve_points(db: sqlite3.Connection, trial: int) -> dict[str, dict[int, float]]:
    """The per-step series of a trial, by name, each a value by step."""
    points: dict[str, dict[int, float]] = {}
    for name, step, value in db.execute(
        "SELECT name, step, value FROM metrics WHERE trial = ? AND step >= 0 ORDER BY name, step", (trial,)
    ):
        points.setdefault(name, {})[step] = value
    return points


def read_retrains(db: sqlite3.Connection) -> list[Retrain]:
    """Every retraining, oldest first."""
    rows = db.execute("SELECT trial, fidelity, metrics, error FROM retrains ORDER BY id").fetchall()
    try:
        return [Retrain(t, f, json.loads(m), e) for t, f, m, e in rows]
    except json.JSONDecodeError as exc:
        raise StudyError(f"a retraining's stored metrics are not valid JSON ({exc})") from None


def read_artifacts(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """Files kept beside the study (paths relative to `<study>.artifacts/`), oldest first."""
    if "artifacts" not in tables(db):
        return []
    rows = db.execute("SELECT trial, kind, fidelity, path, created FROM artifacts ORDER BY id").fetchall()
    return [{"trial": t, "kind": k, "fidelity": f, "path": p, "created": c} for t, k, f, p, c in rows]

"""SQLite storage of one study: its configuration, every trial and its metrics (long form)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nasforge.errors import StudyError
from nasforge.study import queries
from nasforge.study.file_faults import explain
from nasforge.study.study_config import StudyConfig
from nasforge.trial import Retrain, Trial

SCHEMA_VERSION = 2  # PRAGMA user_version; files of release 0.1.0 have 0 and are version 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS study (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
    number INTEGER PRIMARY KEY,
    state TEXT NOT NULL,
    genotype TEXT NOT NULL,
    key TEXT NOT NULL,
    fidelity REAL,
    cost_s REAL NOT NULL DEFAULT 0,
    reason TEXT,
    score REAL,
    asked_after INTEGER NOT NULL,
    told INTEGER,
    started REAL,
    finished REAL,
    objective_values TEXT,  -- JSON list: the study's objectives as measured (version 2)
    feasible INTEGER,       -- constraints hold (version 2)
    step INTEGER,           -- last step reached, for PRUNED trials (version 2)
    origin TEXT             -- NULL: asked of the strategy; "promotion": run again higher (version 2);
                            -- "retry": run again after its worker died or it timed out
);
CREATE TABLE IF NOT EXISTS retrains (  -- a trial's architecture trained again at another fidelity
    id INTEGER PRIMARY KEY,
    trial INTEGER NOT NULL REFERENCES trials(number),
    fidelity REAL,
    metrics TEXT NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS metrics (  -- step -1: the final value; 0, 1, ...: a per-epoch series
    trial INTEGER NOT NULL REFERENCES trials(number),
    name TEXT NOT NULL,
    step INTEGER NOT NULL DEFAULT -1,
    value REAL,
    PRIMARY KEY (trial, name, step)
);
CREATE TABLE IF NOT EXISTS artifacts (  -- files beside the study: <study>.artifacts/<path> (version 2)
    id INTEGER PRIMARY KEY,
    trial INTEGER NOT NULL,
    kind TEXT NOT NULL,     -- "model" (weights + card) or "checkpoint" (resumable training state)
    fidelity REAL,
    path TEXT NOT NULL,
    created REAL NOT NULL
);
"""
# Columns that version 2 added to version-1 tables.
MIGRATIONS = (
    "ALTER TABLE trials ADD COLUMN objective_values TEXT",
    "ALTER TABLE trials ADD COLUMN feasible INTEGER",
    "ALTER TABLE trials ADD COLUMN step INTEGER",
    "ALTER TABLE trials ADD COLUMN origin TEXT",
)


_HELD_LOCKS: set[int] = set()  # writer-lock descriptors of this process


def _drop_inherited_locks() -> None:
    """A forked worker closes its copies of the parent's writer locks (the parent keeps them)."""
    for fd in _HELD_LOCKS:
        os.close(fd)
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)


class Storage:
    """One SQLite database (WAL mode) holding one study; `None` keeps it in memory.

    Every write method commits, so what it wrote survives a crash right after it returns.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        if self.path is not None:
            if self.path.is_dir():
                raise StudyError(f"study path {self.path} is a folder; give a file path such as runs/x.db")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StudyError(f"cannot create the folder of study {self.path}: {exc.strerror}") from None
        try:
            self._db = sqlite3.connect(":memory:" if self.path is None else str(self.path))
            present = queries.tables(self._db)
            if present and "study" not in present:
                self._db.close()
                raise StudyError(
                    f"{self.path} is an SQLite database but not a nasforge study; left untouched"
                )
            if self.path is not None:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate(present)
        except sqlite3.OperationalError as exc:
            self._close_if_open()
            raise StudyError(explain(self.path, exc)) from None
        except sqlite3.DatabaseError as exc:
            self._close_if_open()
            raise StudyError(f"study file {self.path} is not a readable nasforge study ({exc})") from None

    def _migrate(self, present: set[str]) -> None:
        """Create the tables of a new study, or bring an older study file to `SCHEMA_VERSION`."""
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise StudyError(
                f"study file {self.path} has schema version {version}, newer than this nasforge's "
                f"{SCHEMA_VERSION}; upgrade nasforge to open it"
            )
        with self._transaction():
            if present:
                columns = {row[1] for row in self._db.execute("PRAGMA table_info(trials)")}
                for statement in MIGRATIONS:
                    if statement.split()[-2] not in columns:
                        self._db.execute(statement)
            self._db.executescript(SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def _close_if_open(self) -> None:
        if hasattr(self, "_db"):  # connecting itself may have failed
            self._db.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One committed transaction; SQLite's failure to write (a read-only file or folder, a full
        disk, a lock held by another program) as one line, the transaction rolled back."""
        try:
            with self._db:
                yield
        except sqlite3.OperationalError as exc:
            raise StudyError(explain(self.path, exc)) from None

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the study's writer lock: a second process running the same study is refused.

        Raises:
            StudyError: another process is running this study.
        """
        if self.path is None:
            yield
            return
        fd = os.open(self.path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StudyError(
                f"study {self.path} is being run by another process; wait for it to end or use another path"
            ) from None
        _HELD_LOCKS.add(fd)
        try:
            yield
        finally:
            _HELD_LOCKS.discard(fd)
            os.close(fd)

    def progress(self) -> tuple[int, int]:
        """(trials stored, trials told): changes whenever any process advances the study."""
        count, told = self._db.execute("SELECT count(*), count(told) FROM trials").fetchone()
        return int(count), int(told)

    def read_config(self) -> StudyConfig | None:
        """The study's configuration, or None for a new database."""
        config = queries.read_config(self._db)
        return None if config is None else StudyConfig.stored(config)

    def write_config(self, config: StudyConfig) -> None:
        """Store the configuration of a new study, or replace it (settings changed on resume)."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO study (id, config) VALUES (1, ?)", (json.dumps(config.to_json()),)
            )

    def add_trial(self, trial: Trial) -> None:
        """Store a trial that has just been asked for (RUNNING)."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO trials (number, state, genotype, key, fidelity, asked_after,"
                " started, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    trial.number,
                    trial.state.value,
                    trial.genotype.to_json(),
                    trial.key,
                    trial.fidelity,
                    trial.asked_after,
                    trial.started,
                    trial.origin,
                ),
            )

    def finish_trial(
        self,
        trial: Trial,
        curves: dict[str, list[float]] | None = None,
        *,
        start: int = 0,
        timings: dict[str, list[float]] | None = None,
        steps: dict[str, list[int]] | None = None,
    ) -> None:
        """Store a finished trial's state, metrics, cost and reason in one transaction, with its
        per-step `curves` (at `steps` where given for a curve, else from step `start` on) and
        `timings` (steps from 0)."""
        with self._transaction():
            self._db.execute(
                "UPDATE trials SET state = ?, cost_s = ?, reason = ?, score = ?, told = ?, finished = ?,"
                " objective_values = ?, feasible = ?, step = ? WHERE number = ?",
                (
                    trial.state.value,
                    trial.cost_s,
                    trial.reason,
                    trial.score,
                    trial.told,
                    trial.ended,
                    None if trial.values is None else json.dumps(trial.values),
                    None if trial.feasible is None else int(trial.feasible),
                    trial.step,
                    trial.number,
                ),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO metrics (trial, name, step, value) VALUES (?, ?, -1, ?)",
                [(trial.number, name, value) for name, value in trial.metrics.items()],
            )
            self._add_curves(trial.number, curves or {}, start, steps)
            self._add_curves(trial.number, timings or {})

    def add_curves(self, trial: int, curves: dict[str, list[float]]) -> None:
        """Store per-step series (for example one value per epoch) of a trial."""
        with self._transaction():
            self._add_curves(trial, curves)

    def add_step(self, trial: int, step: int, metrics: dict[str, float]) -> None:
        """Store intermediate values of a trial at one step."""
        with self._transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO metrics (trial, name, step, value) VALUES (?, ?, ?, ?)",
                [(trial, name, step, value) for name, value in metrics.items()],
            )

    def _add_curves(
        self,
        trial: int,
        curves: dict[str, list[float]],
        start: int = 0,
        steps: dict[str, list[int]] | None = None,
    ) -> None:
        at = {name: (steps or {}).get(name) or range(start, start + len(v)) for name, v in curves.items()}
        self._db.executemany(
            "INSERT OR REPLACE INTO metrics (trial, name, step, value) VALUES (?, ?, ?, ?)",
            [
                (trial, name, step, value)
                for name, values in curves.items()
                for step, value in zip(at[name], values, strict=True)
            ],
        )

    def load_curves(self, trial: int) -> dict[str, list[float]]:
        """The per-step series of a trial, by name."""
        return queries.read_curves(self._db, trial)

    def load_curve_points(self, trial: int) -> dict[str, dict[int, float]]:
        """The per-step series of a trial, by name, each a value by step."""
        return queries.read_curve_points(self._db, trial)

    def add_retrain(
        self, trial: int, fidelity: float | None, metrics: dict[str, float], error: str | None
    ) -> None:
        """Store the outcome of training a trial's architecture again."""
        with self._transaction():
            self._db.execute(
                "INSERT INTO retrains (trial, fidelity, metrics, error) VALUES (?, ?, ?, ?)",
                (trial, fidelity, json.dumps(metrics), error),
            )

    def load_retrains(self) -> list[Retrain]:
        """Every retraining, oldest first."""
        return queries.read_retrains(self._db)

    def add_artifact(self, trial: int, kind: str, fidelity: float | None, path: str) -> None:
        """Record a file written under the study's artifact folder."""
        with self._transaction():
            self._db.execute(
                "INSERT INTO artifacts (trial, kind, fidelity, path, created) VALUES (?, ?, ?, ?, ?)",
                (trial, kind, fidelity, path, time.time()),
            )

    def load_artifacts(self) -> list[dict[str, Any]]:
        """Files kept beside the study, oldest first."""
        return queries.read_artifacts(self._db)

    def load_trials(self) -> list[Trial]:
        """Every trial, by number, with its final metrics (one consistent snapshot)."""
        return queries.read_trials(self._db)

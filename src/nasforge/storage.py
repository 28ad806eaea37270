"""SQLite storage of one study: its configuration, every trial and its metrics (long form)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nasforge.errors import StudyError
from nasforge.genotype import Genotype
from nasforge.trial import Trial, TrialState

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
    finished REAL
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
"""


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
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(":memory:" if self.path is None else str(self.path))
            if self.path is not None:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StudyError(f"study file {self.path} is not a nasforge study database ({exc})") from None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

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

    def read_config(self) -> dict[str, Any] | None:
        """The study's configuration, or None for a new database."""
        row = self._db.execute("SELECT config FROM study WHERE id = 1").fetchone()
        return None if row is None else json.loads(row[0])

    def write_config(self, config: dict[str, Any]) -> None:
        """Store the configuration of a new study."""
        with self._db:
            self._db.execute("INSERT INTO study (id, config) VALUES (1, ?)", (json.dumps(config),))

    def add_trial(self, trial: Trial) -> None:
        """Store a trial that has just been asked for (RUNNING)."""
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO trials (number, state, genotype, key, fidelity, asked_after,"
                " started) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    trial.number,
                    trial.state.value,
                    trial.genotype.to_json(),
                    trial.key,
                    trial.fidelity,
                    trial.asked_after,
                    trial.started,
                ),
            )

    def finish_trial(self, trial: Trial) -> None:
        """Store a finished trial's state, metrics, cost and reason in one transaction."""
        with self._db:
            self._db.execute(
                "UPDATE trials SET state = ?, cost_s = ?, reason = ?, score = ?, told = ?, finished = ?"
                " WHERE number = ?",
                (
                    trial.state.value,
                    trial.cost_s,
                    trial.reason,
                    trial.score,
                    trial.told,
                    trial.finished,
                    trial.number,
                ),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO metrics (trial, name, step, value) VALUES (?, ?, -1, ?)",
                [(trial.number, name, value) for name, value in trial.metrics.items()],
            )

    def add_curves(self, trial: int, curves: dict[str, list[float]]) -> None:
        """Store per-step series (for example one value per epoch) of a trial."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO metrics (trial, name, step, value) VALUES (?, ?, ?, ?)",
                [
                    (trial, name, step, value)
                    for name, values in curves.items()
                    for step, value in enumerate(values)
                ],
            )

    def load_curves(self, trial: int) -> dict[str, list[float]]:
        """The per-step series of a trial, by name."""
        curves: dict[str, list[float]] = {}
        for name, value in self._db.execute(
            "SELECT name, value FROM metrics WHERE trial = ? AND step >= 0 ORDER BY name, step", (trial,)
        ):
            curves.setdefault(name, []).append(value)
        return curves

    def add_retrain(
        self, trial: int, fidelity: float | None, metrics: dict[str, float], error: str | None
    ) -> None:
        """Store the outcome of training a trial's architecture again."""
        with self._db:
            self._db.execute(
                "INSERT INTO retrains (trial, fidelity, metrics, error) VALUES (?, ?, ?, ?)",
                (trial, fidelity, json.dumps(metrics), error),
            )

    def load_retrains(self) -> list[dict[str, Any]]:
        """Every retraining, oldest first."""
        rows = self._db.execute("SELECT trial, fidelity, metrics, error FROM retrains ORDER BY id")
        return [{"trial": t, "fidelity": f, "metrics": json.loads(m), "error": e} for t, f, m, e in rows]

    def load_trials(self) -> list[Trial]:
        """Every trial, by number, with its final metrics (one consistent snapshot)."""
        with self._db:  # one read transaction, even while another process writes
            self._db.execute("BEGIN")
            rows = self._db.execute("SELECT trial, name, value FROM metrics WHERE step = -1").fetchall()
            trial_rows = self._db.execute(
                "SELECT number, state, genotype, key, fidelity, cost_s, reason, score, asked_after,"
                " told, started, finished FROM trials ORDER BY number"
            ).fetchall()
        metrics: dict[int, dict[str, float]] = {}
        for number, name, value in rows:
            metrics.setdefault(number, {})[name] = value
        trials = []
        for row in trial_rows:
            trials.append(
                Trial(
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
                    finished=row[11],
                    metrics=metrics.get(row[0], {}),
                )
            )
        return trials

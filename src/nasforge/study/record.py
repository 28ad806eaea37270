"""Reading a stored study without running it: `StudyRecord` (what every study can answer) and
`StudyView` (a read-only view of a study file that never builds a strategy).

Example:
    >>> from nasforge import NB201Space, Study, TabularEvaluator
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "s.db")
    >>> study = Study.create(NB201Space(), "random", seed=0, path=path)
    >>> study.optimize(TabularEvaluator(), budget=3); study.close()
    >>> view = StudyView(path)
    >>> len(view.trials), view.objective
    (3, 'valid')
"""

from __future__ import annotations

import functools
import math
import sqlite3
from pathlib import Path
from typing import Any

from nasforge.errors import InvalidArgumentError, NasforgeError, StudyError
from nasforge.genotype import Genotype
from nasforge.objectives import Constraint, Objective, pareto_indices
from nasforge.study import queries
from nasforge.study.file_faults import explain, read_only_filesystem
from nasforge.study.study_config import StudyConfig
from nasforge.trial import Retrain, Trial, TrialState, reached


def ranked(trials: list[Trial]) -> list[Trial]:
    """The COMPLETE trials: feasible first, then those at the highest fidelity, then by the first
    objective, best first (ties: earlier first). A multi-fidelity search thus picks among the
    architectures it trained longest."""
    done = [t for t in trials if t.state is TrialState.COMPLETE and t.score is not None]
    top = max((reached(t) for t in done), default=-math.inf)
    return sorted(done, key=lambda t: (t.feasible is False, reached(t) < top, -(t.score or 0.0), t.number))


def artifact_dir(path: str | Path) -> Path:
    """The folder beside a study file where its models and checkpoints live."""
    return Path(f"{path}.artifacts")


class StudyRecord:
    """What can be read from a study's stored trials: leaderboard, best trial, Pareto front.

    Subclasses set `config` (normalised) and `trials`.
    """

    config: StudyConfig
    trials: list[Trial]

    @functools.cached_property
    def objectives(self) -> tuple[Objective, ...]:
        """The study's objectives, in order."""
        return tuple(self.config.objectives)

    @functools.cached_property
    def constraints(self) -> tuple[Constraint, ...]:
        """Bounds a trial must meet to be feasible."""
        return self.config.constraint_list()

    @property
    def objective(self) -> str:
        """The first (or only) objective's metric."""
        return str(self.objectives[0].metric)

    @property
    def direction(self) -> str:
        """The first (or only) objective's direction."""
        return str(self.objectives[0].direction)

    @property
    def n_finished(self) -> int:
        """Trials that are COMPLETE, FAILED or PRUNED."""
        return sum(t.state.finished for t in self.trials)

    @property
    def best_trial(self) -> Trial | None:
        """The feasible COMPLETE trial with the best first objective (else the best infeasible one)."""
        board = self.leaderboard(1)
        return board[0] if board else None

    @property
    def best_value(self) -> float:
        """The best trial's first objective (as Optuna's `Study.best_value`).

        Raises:
            StudyError: no trial has completed yet.
        """
        return float(self._best().metrics[self.objective])

    @property
    def best_params(self) -> dict[str, Any]:
        """The best trial's knob values by name (as Optuna's `Study.best_params`): a define-by-run
        space's asked knobs, another space's features (absent ones left out).

        Raises:
            StudyError: no trial has completed yet, or the study's space is not available here.
        """
        space = self.space_or_none
        if space is None:
            raise StudyError(f"the study's space {self.config.space.get('name')!r} cannot be built here")
        return dict(space.params(self._best().genotype))

    def _best(self) -> Trial:
        best = self.best_trial
        if best is None:
            raise StudyError("the study has no COMPLETE trial yet")
        return best

    def trials_dataframe(self) -> Any:
        """Every trial as a pandas DataFrame (as Optuna's `trials_dataframe`): number, state, the
        objectives, `params_<knob>` columns, cost, times, reason and every metric.

        Raises:
            InvalidArgumentError: pandas is not installed.
        """
        try:
            import pandas as pd
        except ImportError:
            raise InvalidArgumentError("trials_dataframe needs pandas: pip install pandas") from None
        from nasforge.study.trial_rows import trial_rows

        space = self.space_or_none
        rows = trial_rows(self)
        for row, trial in zip(rows, self.trials, strict=True):
            params = {} if space is None else space.params(trial.genotype)
            row.update({f"params_{name}": value for name, value in params.items()})
        return pd.DataFrame(rows)

    def leaderboard(self, k: int | None = None) -> list[Trial]:
        """COMPLETE trials, best first (see `ranked`)."""
        return ranked(self.trials)[:k]

    def pareto_front(self) -> list[Trial]:
        """Feasible COMPLETE trials that no other one beats on every objective, by trial number."""
        done = [
            t
            for t in self.trials
            if t.state is TrialState.COMPLETE and t.feasible is not False and self.has_values(t)
        ]
        points = [self.oriented(t) for t in done]
        return [done[i] for i in pareto_indices(points)]

    def has_values(self, trial: Trial) -> bool:
        """True when every objective of the study was measured for `trial`."""
        return all(o.metric in trial.metrics for o in self.objectives)

    def oriented(self, trial: Trial) -> list[float]:
        """The trial's objective values turned so that higher is better."""
        return [o.oriented(trial.metrics[o.metric]) for o in self.objectives]

    @functools.cached_property
    def space_or_none(self) -> Any:
        """The study's search space, or None when its kind is not registered in this installation."""
        from nasforge.spaces import make_space

        try:
            return make_space(self.config.space)
        except (NasforgeError, TypeError, KeyError):
            return None

    @property
    def artifact_dir(self) -> Path | None:
        """Where trained models and checkpoints are kept (None for an in-memory study)."""
        raise NotImplementedError

    def artifact_records(self) -> list[dict[str, Any]]:
        """Files kept beside the study (`kind`, `trial`, `fidelity`, `path`), oldest first."""
        raise NotImplementedError

    @property
    def file(self) -> Path | None:
        """The study file (None for a study kept in memory)."""
        raise NotImplementedError

    def curve_points(self, trial: int) -> dict[str, dict[int, float]]:
        """The per-step series of a trial (losses and accuracies per epoch, weight norms,
        timings), by name, each a value by step."""
        raise NotImplementedError

    @property
    def retrains(self) -> list[Retrain]:
        """Every retraining, oldest first."""
        raise NotImplementedError

    def final_retraining(self, trial: Trial | int | None = None) -> Retrain | None:
        """The newest successful retraining of `trial` (default: the best trial), or None."""
        chosen = self.best_trial if trial is None else trial
        if chosen is None:
            return None
        number = chosen if isinstance(chosen, int) else chosen.number
        done = [r for r in self.retrains if r.trial == number and r.ok]
        return done[-1] if done else None

    def model_folder(self, trial: Trial | int | None = None) -> Path | None:
        """The newest model kept for `trial`, or None when none was kept. By default: the search's
        final pick (the best retrained model, or an ensemble of the top few), else the best trial's.

        Load it with `nasforge.load(folder)`, or directly with `nasforge.load(study, trial)`.
        """
        folder = self.artifact_dir
        if trial is None:
            picks = [a for a in self.artifact_records() if a["kind"] == "pick"]  # see study.picks
            if picks and folder is not None:  # the search's final pick (an ensemble, maybe)
                return folder / picks[-1]["path"]
            trial = self.best_trial
            if trial is None:
                return None
        number = trial if isinstance(trial, int) else trial.number
        kept = [a for a in self.artifact_records() if a["kind"] == "model" and a["trial"] == number]
        return None if not kept or folder is None else folder / kept[-1]["path"]

    def format(self, genotype: Genotype) -> str:
        """The architecture in the space's text form (JSON when the space cannot be built here)."""
        space = self.space_or_none
        return genotype.to_json() if space is None else str(space.format(genotype))

    def label(self, genotype: Genotype) -> str:
        """The architecture as a person reads it, without the knobs it does not use."""
        space = self.space_or_none
        return genotype.to_json() if space is None else str(space.label(genotype))


class StudyView(StudyRecord):
    """A read-only view of a study file: configuration, trials, metrics, curves, retrains, artifacts.

    Opening never writes to the file (SQLite read-only mode) and never builds a strategy, so a
    study whose strategy code changed, or whose space is not registered, still shows its results.

    Raises:
        StudyError: the file does not exist, is not an SQLite database, is damaged, or holds no
            nasforge study.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            what = "is a folder" if self.path.is_dir() else "does not exist"
            raise StudyError(f"no study at {self.path} (the path {what})")
        try:
            self._db = _connect_read_only(self.path)
            present = queries.tables(self._db)
            if not present >= queries.REQUIRED_TABLES:
                raise StudyError(f"{self.path} is not a nasforge study (no study tables); left untouched")
            config = queries.read_config(self._db)
            if config is None:
                raise StudyError(f"{self.path} holds no nasforge study configuration")
            self.config = StudyConfig.stored(config)
            self.trials = queries.read_trials(self._db)
            self._retrains = queries.read_retrains(self._db)
            self.artifacts = queries.read_artifacts(self._db)
            self.schema_version = int(self._db.execute("PRAGMA user_version").fetchone()[0]) or 1
        except sqlite3.OperationalError as exc:
            self._db.close()
            raise StudyError(explain(self.path, exc, "read")) from None
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StudyError(f"cannot read study file {self.path}: {exc}") from None
        except StudyError:
            self._db.close()
            raise

    @property
    def artifact_dir(self) -> Path:
        return artifact_dir(self.path)

    def artifact_records(self) -> list[dict[str, Any]]:
        return self.artifacts

    @property
    def retrains(self) -> list[Retrain]:
        return self._retrains

    @property
    def file(self) -> Path:
        return self.path

    def curves(self, trial: int) -> dict[str, list[float]]:
        """Per-step series of a trial (losses and accuracies per epoch, weight norms, timings)."""
        return {name: list(points.values()) for name, points in self.curve_points(trial).items()}

    def curve_points(self, trial: int) -> dict[str, dict[int, float]]:
        try:
            return queries.read_curve_points(self._db, trial)
        except sqlite3.OperationalError as exc:
            raise StudyError(explain(self.path, exc, "read")) from None
        except sqlite3.DatabaseError as exc:
            raise StudyError(f"cannot read study file {self.path}: {exc}") from None

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> StudyView:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection; on a read-only file system (where SQLite cannot make the WAL's
    shared-memory file, and nobody can be writing) the file is opened as immutable."""
    flags = "immutable=1" if read_only_filesystem(path.parent) else "mode=ro"
    return sqlite3.connect(f"file:{path.resolve()}?{flags}", uri=True)

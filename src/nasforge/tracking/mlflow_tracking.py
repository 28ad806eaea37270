"""A study in MLflow: the study is a parent run, each trial a nested run with its knob values as
params, its metrics with their steps (the curves) and its state, fidelity and strategy as tags.

The study file stays the record: a tracking server that cannot be reached, or fails mid-search,
is said once on stderr and the search goes on. Logging is idempotent: a trial is logged once,
however often the study is resumed or killed; a nested run left half-written by a kill is
replaced.
"""

from __future__ import annotations

import math
import re
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from nasforge.extras import require_extra
from nasforge.study.record import StudyRecord
from nasforge.tracking import facts
from nasforge.trial import Trial, TrialState

KEY = "nasforge.study"  # tag of the parent run (and its trials): the study's key
TRIAL = "nasforge.trial"  # tag of a nested run: its trial number
LOGGED = "nasforge.logged"  # set last: the nested run is whole
PARENT = "mlflow.parentRunId"
_BAD_KEY = re.compile(r"[^\w\-. /]")  # MLflow keys: alphanumerics, _ - . space and /
MAX_TAGS, MAX_METRICS = 100, 1000  # MLflow's limits per batch
STATUS = {TrialState.COMPLETE: "FINISHED", TrialState.PRUNED: "FINISHED", TrialState.FAILED: "FAILED"}


def default_uri(study_file: str | Path) -> str:
    """The local store next to a study: `runs/x.db` logs to `sqlite:///runs/x.mlflow.db`."""
    path = Path(study_file)
    return f"sqlite:///{path.with_name(path.stem + '.mlflow.db').resolve()}"


def mlflow_key(name: str) -> str:
    """`name` as an MLflow param or metric key (characters it refuses become `_`)."""
    return _BAD_KEY.sub("_", name)


class MLflowCallback:
    """Logs a study to MLflow as it runs: `Study.optimize(..., callback=MLflowCallback())`.

    `tracking_uri`: an MLflow tracking URI (default: a SQLite store next to the study file, see
    `default_uri`); `experiment`: the experiment's name (default: the study's name). Trials
    finished before the callback was attached are logged on its first call, or by `sync(study)`;
    `log_final_pick(study)` logs the search's final model. `enabled` turns False after the first
    failure (said once on stderr).
    """

    def __init__(self, tracking_uri: str | None = None, *, experiment: str | None = None) -> None:
        require_extra("mlflow", "logging to MLflow")
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self.enabled = True
        self.parent_id: str | None = None
        self._client: Any = None
        self._experiment_id = ""
        self._logged: set[int] = set()

    def __call__(self, study: StudyRecord, trial: Trial) -> None:
        """Log `trial` (and any finished trial not logged yet) as a nested run."""
        self.sync(study)

    def sync(self, study: StudyRecord) -> int:
        """Log every finished trial of `study` not logged yet; the number logged now."""
        if not self._open(study):
            return 0
        todo = [t for t in facts.finished(study) if t.number not in self._logged]
        try:
            for trial in todo:
                self._log_trial(study, trial)
        except Exception as exc:  # the study file stays the record
            self._fail(exc)
        return len(todo) if self.enabled else 0

    def where(self) -> str:
        """Where the study is logged, and how to look at it."""
        return (
            f"MLflow: parent run {self.parent_id} in {self.tracking_uri} "
            f"(look: mlflow ui --backend-store-uri {self.tracking_uri})"
        )

    def end(self, study: StudyRecord) -> None:
        """The search has ended: log its final pick (`log_final_pick`) and mark the parent run
        finished."""
        self.sync(study)
        self.log_final_pick(study)
        self.finish(study)

    def finish(self, study: StudyRecord, status: str = "FINISHED") -> None:
        """Mark the study's parent run ended (a resumed search sets it running again)."""
        if self._open(study) and self.parent_id is not None:
            try:
                self._client.set_terminated(self.parent_id, status=status)
            except Exception as exc:
                self._fail(exc)

    def log_final_pick(self, study: StudyRecord) -> str | None:
        """Log the search's final pick in the parent run as an MLflow model (`model/`: the ONNX
        file, the card and a signature; `mlflow.pyfunc.load_model` predicts with it); its
        `runs:/` URI, or None when the study kept no model."""
        from nasforge.tracking.mlflow_model import log_model_folder

        if not self._open(study) or study.file is None or study.model_folder() is None:
            return None
        try:
            return log_model_folder(self._client, self.parent_id or "", study.file)
        except Exception as exc:
            self._fail(exc)
            return None

    # -- the parent run ----------------------------------------------------------------------

    def _open(self, study: StudyRecord) -> bool:
        """Connect and find (or make) the study's parent run once; False when disabled."""
        if not self.enabled or self.parent_id is not None:
            return self.enabled
        uri = self.tracking_uri or (default_uri(study.file) if study.file else None)
        if uri is None:
            self._fail(ValueError("a study kept in memory needs a tracking_uri"))
            return False
        self.tracking_uri = uri
        try:
            _check_reachable(uri)
            from mlflow.tracking import MlflowClient

            self._client = MlflowClient(tracking_uri=uri)
            self._experiment_id = self._experiment(study)
            self.parent_id = self._parent(study, self._experiment_id)
            self._logged = self._trials_logged(self._experiment_id)
        except Exception as exc:
            self._fail(exc)
        return self.enabled

    def _experiment(self, study: StudyRecord) -> str:
        name = self.experiment or facts.study_name(study)
        found = self._client.get_experiment_by_name(name)
        if found is not None:
            return str(found.experiment_id)
        where = None  # a local store keeps the artifacts beside it, not in the working directory
        if self.tracking_uri and self.tracking_uri.startswith("sqlite:///"):
            where = Path(self.tracking_uri.removeprefix("sqlite:///")).with_suffix(".artifacts").as_uri()
        kind = {"mlflow.experimentKind": "custom_model_development"}  # MLflow's UI: "Model training"
        return str(self._client.create_experiment(name, artifact_location=where, tags=kind))

    def _parent(self, study: StudyRecord, experiment_id: str) -> str:
        key = facts.study_key(study)
        runs = self._client.search_runs(
            [experiment_id], filter_string=f"tags.`{KEY}` = '{_quoted(key)}' and tags.`{TRIAL}` = 'study'"
        )
        if runs:
            run_id = str(runs[0].info.run_id)
            self._client.update_run(run_id, status="RUNNING")
            return run_id
        run = self._client.create_run(
            experiment_id, tags={KEY: key, TRIAL: "study"}, run_name=facts.study_name(study)
        )
        run_id = str(run.info.run_id)
        config = study.config
        params = {"space": config.space.get("name"), "strategy": config.strategy.name}
        params.update({f"strategy.{k}": v for k, v in config.strategy.params.items()})
        params.update({f"evaluator.{k}": v for k, v in (config.evaluator or {}).items() if k != "name"})
        params.update({f"settings.{k}": v for k, v in config.settings.items()})
        tags = {
            "objectives": ", ".join(f"{o.metric} ({o.direction})" for o in config.objectives),
            "evaluator": (config.evaluator or {}).get("name", ""),
            "study_file": "" if study.file is None else str(study.file),
        }
        self._batch(run_id, params, tags)
        return run_id

    def _trials_logged(self, experiment_id: str) -> set[int]:
        """Trials whose nested run is whole; half-written ones (a kill mid-log) are deleted."""
        done: set[int] = set()
        for run in self._nested(experiment_id):
            number = int(run.data.tags[TRIAL])
            whole = run.data.tags.get(LOGGED) == "true" and run.info.status != "RUNNING"
            if whole and number not in done:
                done.add(number)
            else:
                self._client.delete_run(run.info.run_id)
        return done

    def _nested(self, experiment_id: str) -> Iterator[Any]:
        token = None
        while True:
            page = self._client.search_runs(
                [experiment_id], filter_string=f"tags.`{PARENT}` = '{self.parent_id}'", page_token=token
            )
            yield from page
            token = page.token
            if not token:
                return

    # -- a trial -----------------------------------------------------------------------------

    def _log_trial(self, study: StudyRecord, trial: Trial) -> None:
        """Three calls: the run, its data in batches (the whole-mark last), its end."""
        from mlflow.entities import Metric

        started = int((trial.started or time.time()) * 1000)
        tags = {PARENT: self.parent_id, TRIAL: str(trial.number), KEY: facts.study_key(study)}
        run = self._client.create_run(
            self._experiment_id, start_time=started, tags=tags, run_name=f"trial-{trial.number}"
        )
        run_id = run.info.run_id
        metrics = []
        last_step: dict[str, int] = {}
        for name, points in study.curve_points(trial.number).items():
            for step, value in points.items():
                metrics.append(Metric(mlflow_key(name), value, started + step, step))
            if points:
                last_step[name] = max(points)
        ended = int((trial.ended or time.time()) * 1000)
        for name, value in facts.final_metrics(trial).items():  # after its curve: the run's summary
            metrics.append(Metric(mlflow_key(name), value, ended, last_step.get(name, 0)))
        self._batch(run_id, facts.knobs(study, trial), facts.tags(study, trial), metrics, whole_mark=True)
        self._client.set_terminated(run_id, status=STATUS.get(trial.state, "KILLED"), end_time=ended)
        self._logged.add(trial.number)

    def _batch(
        self,
        run_id: str,
        params: dict[str, Any],
        tags: dict[str, str],
        metrics: Sequence[Any] = (),
        whole_mark: bool = False,
    ) -> None:
        """Log in as few calls as MLflow's limits allow (100 params and tags, 1,000 entries per
        call); with `whole_mark`, the last call also marks the run whole."""
        from mlflow.entities import Param, RunTag

        keyed = [Param(mlflow_key(k), str(facts.plain(v))[:6000]) for k, v in params.items()]
        keyed += [RunTag(k, str(v)[:8000]) for k, v in tags.items()]
        per_call = MAX_TAGS - 1, MAX_METRICS - MAX_TAGS  # room left for the mark
        calls = max(1, math.ceil(len(keyed) / per_call[0]), math.ceil(len(metrics) / per_call[1]))
        for i in range(calls):
            batch = keyed[i * per_call[0] : (i + 1) * per_call[0]]
            if whole_mark and i == calls - 1:
                batch.append(RunTag(LOGGED, "true"))
            self._client.log_batch(
                run_id,
                metrics=list(metrics[i * per_call[1] : (i + 1) * per_call[1]]),
                params=[e for e in batch if isinstance(e, Param)],
                tags=[e for e in batch if isinstance(e, RunTag)],
            )

    def _fail(self, exc: BaseException) -> None:
        if self.enabled:
            reason = " ".join(str(exc).split())[:300] or type(exc).__name__
            print(
                f"nasforge: warning: MLflow logging stopped ({self.tracking_uri}: {reason}); "
                "the search goes on and the study file stays the record",
                file=sys.stderr,
                flush=True,
            )
        self.enabled = False


def _check_reachable(uri: str, timeout_s: float = 3.0) -> None:
    """Raise at once for an HTTP tracking server that does not answer (MLflow's own client would
    retry for minutes)."""
    if uri.startswith(("http://", "https://")):
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout_s):
            pass


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")

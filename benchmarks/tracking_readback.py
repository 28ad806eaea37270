"""Reads back what `search --mlflow --tensorboard` and `export-study --to-optuna` wrote for a
study, with each tool's own reader, and compares it with the study file: MLflow's parent run and
nested runs (knobs, curves), the logged model against `nasforge.load`, TensorBoard's scalars and
hparams (`EventAccumulator`), and `optuna.load_study(...).trials` one for one.

    python benchmarks/tracking_readback.py runs/mnist1d-macro.db --optuna sqlite:///runs/optuna.db
"""

from __future__ import annotations

import argparse
from pathlib import Path

import mlflow
import numpy as np
import optuna
import torch
from mlflow.tracking import MlflowClient
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import nasforge
from nasforge.study.record import StudyView
from nasforge.tracking import facts
from nasforge.tracking.mlflow_tracking import PARENT, TRIAL, default_uri, mlflow_key
from nasforge.tracking.tensorboard_tracking import default_logdir


def check_mlflow(view: StudyView) -> None:
    uri = default_uri(view.path)
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name(facts.study_name(view))
    found = client.search_runs([experiment.experiment_id], max_results=5000)
    parent = next(r for r in found if r.data.tags.get(TRIAL) == "study")
    nested = [r for r in found if r.data.tags.get(PARENT) == parent.info.run_id]
    print(f"MLflow {uri}: parent run {parent.info.run_id} ({parent.info.status}), {len(nested)} nested runs")
    trials = {t.number: t for t in facts.finished(view)}
    print(
        f"  study trials {len(trials)}; nested trial numbers match: "
        f"{sorted(int(r.data.tags[TRIAL]) for r in nested) == sorted(trials)}"
    )
    knobs_ok = curves_ok = 0
    for run in nested:
        trial = trials[int(run.data.tags[TRIAL])]
        knobs = {mlflow_key(k): str(facts.plain(v)) for k, v in facts.knobs(view, trial).items()}
        knobs_ok += run.data.params == knobs
        curve = view.curve_points(trial.number).get("valid_accuracy", {})
        history = client.get_metric_history(run.info.run_id, "valid_accuracy")
        curves_ok += {(m.step, m.value) for m in history} >= set(curve.items()) and len(curve) > 0
    print(f"  runs whose params are every knob of their trial: {knobs_ok}/{len(nested)}")
    print(f"  runs whose valid_accuracy history holds the trial's curve: {curves_ok}/{len(nested)}")
    model = mlflow.pyfunc.load_model(f"{parent.info.artifact_uri}/model")
    shape = model.metadata.signature.inputs.to_dict()[0]["tensor-spec"]["shape"]
    x = np.random.default_rng(0).normal(size=(64, *shape[1:])).astype(np.float32)
    with torch.no_grad():
        expected = torch.softmax(
            nasforge.load(nasforge.Study.load(view.path))(torch.from_numpy(x)), 1
        ).numpy()
    print(
        f"  logged model: signature {model.metadata.signature.inputs.to_dict()}, "
        f"max |pyfunc - nasforge.load| on 64 inputs = {np.abs(model.predict(x) - expected).max():.2e}"
    )


def check_tensorboard(view: StudyView) -> None:
    logdir = default_logdir(view.path)
    folders = sorted(p for p in logdir.iterdir() if p.is_dir())
    events = EventAccumulator(str(folders[0]))
    events.Reload()
    scalars = events.Tags()["scalars"]
    print(
        f"TensorBoard {logdir}: {len(folders)} trial runs; {folders[0].name}: {len(scalars)} scalar tags, "
        f"valid_accuracy steps {[e.step for e in events.Scalars('valid_accuracy')]}, "
        f"hparams plugin tags {sorted(events.PluginTagToContent('hparams'))}"
    )


def check_optuna(view: StudyView, storage: str) -> None:
    exported = optuna.load_study(study_name=facts.study_name(view), storage=storage).trials
    mine = facts.finished(view)
    same = all(
        e.number == t.number
        and e.params == facts.knobs(view, t)
        and (e.value is None or abs(e.value - t.metrics[view.objective]) < 1e-12)
        for e, t in zip(exported, mine, strict=True)
    )
    print(
        f"Optuna {storage}: {len(exported)} trials, states {sorted({e.state.name for e in exported})}; "
        f"number, knobs and value match nasforge's trials one for one: {same}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", type=Path)
    parser.add_argument("--optuna", required=True, help="the Optuna storage export-study wrote")
    args = parser.parse_args()
    with StudyView(args.study) as view:
        check_mlflow(view)
        check_tensorboard(view)
        check_optuna(view, args.optuna)


if __name__ == "__main__":
    main()

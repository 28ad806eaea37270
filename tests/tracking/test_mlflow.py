"""MLflow: the study is one parent run, each finished trial one nested run (knobs, curves, state),
logged once however often the study is resumed or killed; an unreachable server is said once and
the search goes on; the final pick loads with `mlflow.pyfunc.load_model`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import nasforge
from nasforge import Study, TabularEvaluator
from nasforge.spaces import NB201Space
from nasforge.study.record import StudyView
from nasforge.tracking import MLflowCallback
from nasforge.tracking.mlflow_tracking import KEY, LOGGED, PARENT, TRIAL, mlflow_key
from tests.helpers import free_port, run

mlflow = pytest.importorskip("mlflow")
from mlflow.tracking import MlflowClient  # noqa: E402


def runs(uri: str, experiment: str) -> tuple[object, list[object]]:
    """The parent run and the nested runs of an experiment."""
    client = MlflowClient(uri)
    found = client.search_runs([client.get_experiment_by_name(experiment).experiment_id], max_results=1000)
    parents = [r for r in found if r.data.tags.get(TRIAL) == "study"]
    assert len(parents) == 1
    return parents[0], [r for r in found if r.data.tags.get(PARENT) == parents[0].info.run_id]


def test_a_study_is_a_parent_run_and_each_trial_a_nested_run_logged_once(
    tmp_path: Path, nb201: NB201Space, table_evaluator: TabularEvaluator
) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    study = Study.create(nb201, "random", seed=0, path=tmp_path / "s.db")
    study.optimize(table_evaluator, 6, callback=MLflowCallback(uri))

    parent, nested = runs(uri, "s")
    assert parent.data.params["strategy"] == "random" and parent.data.params["space"] == "nb201"
    assert sorted(int(r.data.tags[TRIAL]) for r in nested) == list(range(6))
    trial = study.trials[3]
    logged = next(r for r in nested if r.data.tags[TRIAL] == "3")
    knobs, _ = nb201.suggested(trial.genotype)
    assert logged.data.params == {mlflow_key(k): str(v) for k, v in knobs.items()}  # every knob
    assert logged.data.metrics["valid"] == pytest.approx(trial.metrics["valid"])
    assert logged.data.tags["state"] == "COMPLETE" and logged.data.tags["strategy"] == "random"
    assert logged.data.tags[LOGGED] == "true" and logged.info.status == "FINISHED"

    # Resumed with a fresh callback: the same parent, only the new trials are added.
    resumed = Study.load(tmp_path / "s.db")
    resumed.optimize(table_evaluator, 9, callback=MLflowCallback(uri))
    again, nested = runs(uri, "s")
    assert again.info.run_id == parent.info.run_id
    assert sorted(int(r.data.tags[TRIAL]) for r in nested) == list(range(9))


def test_a_nested_run_left_half_written_is_replaced(
    tmp_path: Path, nb201: NB201Space, table_evaluator: TabularEvaluator
) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    study = Study.create(nb201, "random", seed=0, path=tmp_path / "s.db")
    callback = MLflowCallback(uri)
    study.optimize(table_evaluator, 3, callback=callback)
    client = MlflowClient(uri)
    parent, _ = runs(uri, "s")
    half = client.create_run(  # as a kill between creating a run and finishing it leaves one
        parent.info.experiment_id, tags={PARENT: parent.info.run_id, TRIAL: "3", KEY: "x"}
    )
    study.optimize(table_evaluator, 4)  # trial 3, not logged
    assert MLflowCallback(uri).sync(study) == 1
    _, nested = runs(uri, "s")
    assert sorted(int(r.data.tags[TRIAL]) for r in nested) == [0, 1, 2, 3]
    assert half.info.run_id not in {r.info.run_id for r in nested}


def test_an_unreachable_server_is_said_once_and_the_search_goes_on(
    tmp_path: Path, nb201: NB201Space, table_evaluator: TabularEvaluator, capsys: pytest.CaptureFixture[str]
) -> None:
    study = Study.create(nb201, "random", seed=0, path=tmp_path / "s.db")
    callback = MLflowCallback(f"http://127.0.0.1:{free_port()}")
    study.optimize(table_evaluator, 4, callback=callback)
    err = capsys.readouterr().err
    assert study.n_finished == 4 and not callback.enabled
    assert err.count("MLflow logging stopped") == 1 and "the study file stays the record" in err


def test_search_logs_curves_and_the_final_pick_as_a_model_that_predicts_as_nasforge_load(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        capsys, "search", "--data", "digits", "--epochs", "2", "--budget", "2", "--final-epochs", "1",
        "--ensemble", "1", "--study", "d.db", "--mlflow", "--no-progress",
    )  # fmt: skip
    assert code == 0, err
    uri = f"sqlite:///{(tmp_path / 'd.mlflow.db').resolve()}"
    assert "MLflow: parent run" in err and uri in err
    parent, nested = runs(uri, "d")
    client = MlflowClient(uri)
    history = client.get_metric_history(nested[0].info.run_id, "valid_accuracy")
    assert sorted({m.step for m in history}) == [0, 1]  # the per-epoch curve

    model = mlflow.pyfunc.load_model(f"{parent.info.artifact_uri}/model")
    x = np.random.default_rng(0).normal(size=(7, 1, 8, 8)).astype(np.float32)
    with torch.no_grad():
        expected = torch.softmax(nasforge.load(Study.load(tmp_path / "d.db"))(torch.from_numpy(x)), 1).numpy()
    assert np.abs(model.predict(x) - expected).max() <= 1e-5
    assert tuple(model.metadata.signature.inputs.to_dict()[0]["tensor-spec"]["shape"]) == (-1, 1, 8, 8)


@pytest.mark.slow
def test_a_search_killed_mid_way_and_resumed_has_one_nested_run_per_trial(tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "nasforge.cli.main", "search", "--data", "digits", "--epochs", "2",
        "--budget", "5", "--final-epochs", "0", "--study", "k.db", "--mlflow", "--no-progress",
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    search = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if (tmp_path / "k.db").exists():
            with StudyView(tmp_path / "k.db") as view:
                if view.n_finished >= 2:
                    break
    search.send_signal(signal.SIGKILL)
    search.wait()
    with StudyView(tmp_path / "k.db") as view:
        assert 2 <= view.n_finished < 5, "the kill came too late to test a resume"
    resumed = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    with StudyView(tmp_path / "k.db") as view:
        numbers = sorted(t.number for t in view.trials)
    _, nested = runs(f"sqlite:///{(tmp_path / 'k.mlflow.db').resolve()}", "k")
    assert sorted(int(r.data.tags[TRIAL]) for r in nested) == numbers and len(numbers) == 5

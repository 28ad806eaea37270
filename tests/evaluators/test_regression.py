"""A table with numeric targets is a regression: found by itself (or --task), trained with the mean
squared error, scored by R², MSE and MAE in the targets' units, shipped predicting those units."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from nasforge import load
from nasforge.data import load_dataset
from nasforge.errors import DataError
from tests.helpers import run


def diabetes_csv(path: Path) -> Path:
    from sklearn.datasets import load_diabetes

    data = load_diabetes()
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*data.feature_names, "progression"])
        writer.writerows([*x, y] for x, y in zip(data.data, data.target, strict=True))
    return path


def test_numeric_targets_make_a_regression_that_ships_in_their_units(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv_path = diabetes_csv(tmp_path / "diabetes.csv")
    data = load_dataset(str(csv_path))
    assert data.regression and data.num_classes == 1 and data.modality == "table"
    with pytest.raises(DataError, match="have no training example"):  # told to be classes: 214 of them
        load_dataset(str(csv_path), task="classification")
    argv = ["search", "--data", "diabetes.csv", "--budget", "3", "--epochs", "5", "--final-epochs", "10"]
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["objective"] == "valid_r2" and result["study"] == "runs/diabetes-mlp.db"
    assert result["selection"] == "5-fold cross-validation on the 354 training examples"
    retrained = result["retrains"][-1]["metrics"]
    assert {"test_r2", "test_mse", "test_mae"} <= set(retrained) and retrained["test_mse"] > 100  # units²
    assert [b["name"] for b in result["baselines"]] == ["linear regression", "gradient-boosted trees"]
    code, _, err = run(capsys, "export", "runs/diabetes-mlp.db", "--out", "model")
    assert code == 0, err
    raw = np.loadtxt(csv_path, delimiter=",", skiprows=1, dtype=np.float32)
    with torch.no_grad():
        predicted = load(tmp_path / "model")(torch.from_numpy(raw[:50, None, :-1]))[:, 0].numpy()
    assert 25 < predicted.mean() < 350  # the target's own units (disease progression 25-346)
    code, _, err = run(capsys, "search", "--data", "digits", "--task", "regression", "--study", "d.db")
    assert code == 2 and "task regression needs a CSV or .npz file" in err


def test_a_cross_validated_study_stops_its_final_fit_where_its_folds_peaked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from nasforge import StudyView

    diabetes_csv(tmp_path / "diabetes.csv")
    argv = ["search", "--data", "diabetes.csv", "--budget", "4", "--epochs", "8", "--final-epochs", "40"]
    code, out, err = run(capsys, *argv, "--ensemble", "2", "--json")
    assert code == 0, err
    with StudyView(tmp_path / "runs" / "diabetes-mlp.db") as view:
        top = view.leaderboard(2)
        mean = np.mean([view.curves(t.number)["valid_r2"] for t in top], axis=0)
        fitted = [r for r in view.retrains if r.tested]
        winner = view.model_folder(top[0])
    assert len(mean) == 8 and {r.trial for r in fitted} == {t.number for t in top}
    peak = int(np.argmax(mean)) + 1
    epochs = {r.fidelity for r in fitted}
    if peak < 8:  # peaked before the trials stopped: overfit after it
        assert epochs == {float(peak)}
    else:  # still rising: the winner's folds trained 40 epochs said where to stop
        assert len(epochs) == 1 and 1 <= next(iter(epochs)) <= 40
    (fit,) = epochs
    assert winner is not None and winner.name == f"model-trial{top[0].number}-f{fit:g}"
    card = json.loads((winner / "card.json").read_text())
    # the trials' schedule where they overfit; else a schedule as long as the fit, annealed by its end
    assert card["training"]["schedule_epochs"] == (8 if peak < 8 else fit)
    ensemble = json.loads(out)["final_pick"]["ensemble"]
    linear = f"-linear{round(ensemble['blend']['share'] * 100)}" if ensemble["blend"] else ""
    assert ensemble["folder"] == f"ensemble-top2-f{fit:g}{linear}"

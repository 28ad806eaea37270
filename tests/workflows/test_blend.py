"""A cross-validated table's final pick blends in a linear model where the study's folds say so."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from nasforge import load
from nasforge.data import load_dataset
from nasforge.deploy.load import load_model
from nasforge.study.record import StudyView
from nasforge.workflows.blend import fit_linear
from tests.helpers import run


def linear_csv(path: Path, rows: int = 240, seed: int = 0) -> Path:
    """A target that is a noisy linear function of 6 features: a linear model's home ground."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 6))
    y = x @ np.array([3.0, -2.0, 1.5, 0.0, 0.5, -1.0]) + 10 + rng.normal(scale=0.5, size=rows)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*(f"x{i}" for i in range(6)), "y"])
        writer.writerows([*row, target] for row, target in zip(x, y, strict=True))
    return path


@pytest.mark.parametrize("name", ["iris", "breast_cancer", "diabetes"])
def test_the_linear_member_predicts_as_scikit_learn(tmp_path: Path, name: str) -> None:
    from sklearn import datasets
    from sklearn.linear_model import LinearRegression, LogisticRegression

    source = getattr(datasets, f"load_{name}")()
    path = tmp_path / f"{name}.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*source.feature_names, "target"])
        writer.writerows([*row, target] for row, target in zip(source.data, source.target, strict=True))
    data = load_dataset(str(path))
    module = fit_linear(data.train, data)
    x = data.train.x.reshape(len(data.train), -1).astype(np.float64)
    with torch.no_grad():
        out = module(torch.from_numpy(data.valid.x)).double()
    flat_valid = data.valid.x.reshape(len(data.valid), -1)
    if data.regression:
        expected = LinearRegression().fit(x, data.train.y).predict(flat_valid)
        assert np.allclose(out[:, 0].numpy(), expected, atol=1e-4)
    else:
        expected = LogisticRegression(max_iter=5000).fit(x, data.train.y).predict_proba(flat_valid)
        assert np.allclose(out.softmax(-1).numpy(), expected, atol=1e-4)


def test_a_linear_table_gets_a_blended_pick_that_ships_and_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    linear_csv(tmp_path / "lin.csv")
    argv = ["search", "--data", "lin.csv", "--budget", "2", "--epochs", "2", "--final-epochs", "3"]
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    ensemble = json.loads(out)["final_pick"]["ensemble"]
    blend = ensemble["blend"]  # two-epoch networks against an exactly linear target
    assert blend["baseline"] == "linear regression" and blend["share"] >= 0.5
    assert blend["metric"] == "r2" and blend["folds"] == 5 and blend["blended"] > blend["networks"]
    assert ensemble["folder"].endswith(f"-linear{round(blend['share'] * 100)}")
    raw = np.loadtxt("lin.csv", delimiter=",", skiprows=1, dtype=np.float32)
    data = load_dataset("lin.csv")
    code, _, err = run(capsys, "export", "runs/lin-mlp.db", "--out", "model")  # the final pick
    assert code == 0, err
    assert json.loads(Path("model/card.json").read_text())["blend"]["share"] == blend["share"]
    picked = load("model")  # takes raw features, answers in the target's units
    with torch.no_grad():
        predicted = picked(torch.from_numpy(raw[:, None, :-1]))[:, 0].numpy()
    assert np.corrcoef(predicted, raw[:, -1])[0, 1] > 0.97
    standardised = load_model(StudyView("runs/lin-mlp.db").artifact_dir / ensemble["folder"], raw_input=False)
    with torch.no_grad():
        test = standardised(torch.from_numpy(data.test.x))[:, 0].double().numpy()
    truth = data.test.y
    r2 = 1 - np.sum((truth - test) ** 2) / np.sum((truth - truth.mean()) ** 2)
    assert r2 == pytest.approx(ensemble["metrics"]["test_r2"], abs=1e-4)  # as scored when it was built
    code, out, _ = run(capsys, *argv, "--study", "plain.db", "--no-blend")
    assert code == 0 and "blended with" not in out
    code, out, _ = run(capsys, *argv, "--study", "told.db")
    assert code == 0 and "blended with a linear regression at share" in out


def test_the_blend_is_chosen_on_folds_cut_another_way_than_the_trials(tmp_path: Path) -> None:
    from nasforge import make_space
    from nasforge.evaluators import Hardware, Recipe, TrainingEvaluator
    from nasforge.evaluators.cross_validation import folds_of
    from nasforge.workflows.blend import PARTITION

    evaluator = TrainingEvaluator(
        data=str(linear_csv(tmp_path / "lin.csv")), recipe=Recipe(epochs=1), hardware=Hardware(threads=1)
    )
    space = make_space("mlp")
    data = evaluator.dataset()
    trials = folds_of(data, evaluator.folds(data), evaluator.data.split_seed)
    blend = evaluator.fold_predictions(space.sample(np.random.default_rng(0)), space, 1, PARTITION)

    def held_out(folds: list) -> list[set[float]]:
        return [set(fold.valid.y.tolist()) for fold in folds]

    assert len(blend) == len(trials) == 5
    assert all(len(predicted) == len(fold.valid) for fold, predicted in blend)
    cut = held_out([fold for fold, _ in blend])
    assert set().union(*cut) == set(data.train_and_valid().y.tolist())  # every example held out once
    assert sum(map(len, cut)) == len(data.train_and_valid())
    assert all(c != t for c, t in zip(cut, held_out(trials), strict=True))  # not the trials' folds

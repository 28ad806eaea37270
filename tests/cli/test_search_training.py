"""`nasforge search` with the training evaluator and TOML configs (small data, one epoch)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nasforge import Study
from nasforge.cli.main import main
from nasforge.errors import InvalidArgumentError
from nasforge.workflows.config import SearchConfig, load_config
from tests.helpers import run

FAST = ["--data", "digits", "--epochs", "1", "--budget", "3", "--final-epochs", "2", "--json"]


def test_training_search_stores_curves_and_retrains_the_winner(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "s.db"
    code, out, _ = run(capsys, "search", "--study", str(db), *FAST, "--ensemble", "1")
    data = json.loads(out)
    assert code == 0 and data["finished"] == 3 and data["objective"] == "valid_accuracy"
    assert 0 < data["best"]["valid_accuracy"] <= 1
    (retrain,) = data["retrains"]
    assert retrain["trial"] == data["best"]["number"] and retrain["fidelity"] == 2
    assert retrain["metrics"]["epochs"] == 2
    assert data["final_pick"] == {"pick": f"model-trial{retrain['trial']}-f2", "ensemble": None}
    from nasforge import Study

    study = Study.load(db)
    curves = study.storage.load_curves(0)
    assert len(curves["valid_accuracy"]) == 1 and any(k.startswith("norm/") for k in curves)
    code, out, _ = run(capsys, "search", "--study", str(db), "--budget", "3", "--final-epochs", "2", "--json")
    assert len(json.loads(out)["retrains"]) == 1, "the winner is not retrained twice"


def test_the_final_pick_averages_the_best_retrained_models(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import numpy as np
    import torch

    from nasforge import StudyView, load
    from nasforge.evaluators import make_evaluator

    code, out, _ = run(capsys, "search", "--study", "e.db", *FAST, "--ensemble", "3")
    data = json.loads(out)
    assert code == 0 and len(data["retrains"]) == 3
    ensemble = data["final_pick"]["ensemble"]
    assert data["final_pick"]["pick"] == ensemble["folder"] == "ensemble-top3-f2" and ensemble["members"] == 3
    evaluator = make_evaluator({"name": "training", "data": "digits", "seed": 0})
    test = evaluator.dataset().test
    x = torch.from_numpy(test.x)
    with StudyView("e.db") as view, torch.no_grad():
        members = [load(view, r["trial"], raw_input=False)(x).softmax(1) for r in data["retrains"]]
        averaged = load(view, raw_input=False)(x).softmax(1)
    mean = sum(members) / 3
    assert np.allclose(averaged.numpy(), mean.numpy(), atol=1e-6)
    expected = float(np.mean(mean.numpy().argmax(1) == test.y))
    assert ensemble["metrics"]["test_accuracy"] == pytest.approx(expected)
    assert not any(k.startswith("valid_") for k in ensemble["metrics"]), "members trained on valid"
    code, out, _ = run(capsys, "leaderboard", "--study", "e.db")
    assert "ensemble of the 3 best retrained: trained on train+valid, test accuracy" in out
    assert "final pick (export and serve use it): ensemble-top3-f2" in out


def test_the_final_fit_learns_from_the_validation_split_unless_told_not_to(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from nasforge import StudyView
    from nasforge.evaluators.model_card import read_card

    weights = {}
    for fit in ("train+valid", "train"):
        db = tmp_path / f"{fit}.db"
        code, out, _ = run(capsys, "search", "--study", str(db), *FAST, "--ensemble", "2", "--final-fit", fit)
        data = json.loads(out)
        assert code == 0 and len(data["retrains"]) == 2
        ensemble = data["final_pick"]["ensemble"]
        valid_figures = [any(k.startswith("valid_") for k in r["metrics"]) for r in data["retrains"]]
        assert valid_figures == [fit == "train"] * 2, "a model trained on valid reports no valid figure"
        assert ("valid_accuracy" in ensemble["metrics"]) == (fit == "train")
        with StudyView(db) as view:
            folder = view.artifact_dir / f"model-trial{data['retrains'][0]['trial']}-f2"
            assert read_card(folder).fit == fit
            weights[fit] = (folder / "model.safetensors").read_bytes()
    assert weights["train+valid"] != weights["train"], "the same seed, more examples: other weights"
    code, _, err = run(capsys, "search", "--study", "x.db", *FAST, "--final-fit", "valid")
    assert code == 2 and "--final-fit" in err and "train+valid" in err


def test_toml_config_with_flags_on_top(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        f'study = "{tmp_path / "c.db"}"\nbudget = 2\nfinal_epochs = 0\n'
        '[space]\nname = "macro"\nmax_blocks = 2\n'
        '[strategy]\nname = "random"\n'
        '[evaluator]\nname = "training"\ndata = "digits"\nepochs = 1\n'
    )
    code, out, _ = run(capsys, "search", "--config", str(config), "--budget", "4", "--json")
    data = json.loads(out)
    assert code == 0 and data["finished"] == 4 and data["retrains"] == []


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("budgett = 3\n", "budgett"),
        ("budget = 'many'\n", "budget"),
        ("[space]\nname = 3\n", "space"),
        ("[strategy]\nname = 'nosuch'\n", "strategy must be one of"),
        ("budget = [\n", "not valid TOML"),
    ],
)
def test_bad_config_files_are_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, toml: str, message: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(toml)
    code, _, err = run(capsys, "search", "--config", str(config))
    assert code == 2 and message in err and "Traceback" not in err


def test_unknown_space_parameter_and_missing_config(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[space]\nname = 'macro'\nwidth = 3\n")
    code, _, err = run(capsys, "search", "--config", str(config), "--study", str(tmp_path / "x.db"))
    assert code == 2 and "width" in err
    assert main(["search", "--config", str(tmp_path / "none.toml")]) == 2


def test_default_config_is_the_main_job() -> None:
    config = load_config(None, {})
    assert config == SearchConfig()
    assert config.evaluator["data"] == "mnist1d" and config.space["name"] == "macro"
    assert config.strategy["name"] == "evolution" and config.study_path == Path("runs/mnist1d-macro.db")
    with pytest.raises(InvalidArgumentError, match="workers"):
        load_config(None, {"workers": 0})


def test_augment_flag_reaches_the_evaluator_and_bad_names_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    common = ["search", "--data", "digits", "--epochs", "1", "--budget", "1", "--final-epochs", "0"]
    code, _, err = run(capsys, *common, "--study", str(tmp_path / "a.db"), "--augment", "rotate")
    assert code == 2 and "augment" in err and "rotate" in err and "Traceback" not in err
    code, _, err = run(capsys, *common, "--study", str(tmp_path / "c.db"), "--mixup", "-1")
    assert code == 2 and "mixup" in err and "-1" in err and "Traceback" not in err
    augmented = ["--study", str(tmp_path / "b.db"), "--augment", "hflip,shift", "--mixup", "0.2", "--json"]
    code, out, _ = run(capsys, *common, *augmented)
    assert code == 0 and json.loads(out)["finished"] == 1
    evaluator = Study.load(tmp_path / "b.db").config.evaluator
    assert evaluator["augment"] == ["hflip", "shift"] and evaluator["mixup"] == 0.2

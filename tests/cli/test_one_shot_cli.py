"""`nasforge search --one-shot spos`: the supernet evaluator with the training options given,
its epochs announced, and a space without a supernet refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nasforge import Study
from nasforge.cli.main import build_parser
from nasforge.cli.search_options import DARTS_FINAL_EPOCHS, SPOS_DEFAULTS, SUPERNET_EPOCHS, search_options
from tests.helpers import run

SMALL = [
    "--choice",
    "channels=8,16",
    "--choice",
    "batchnorm=true",
    "--choice",
    "hidden=0",
    "--data",
    "digits",
]


def test_one_shot_scores_candidates_on_a_supernet_and_retrains_the_winner(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "s.db"
    argv = ["search", "--study", str(db), "--one-shot", "spos", *SMALL, "--epochs", "2", "--budget", "4"]
    code, out, _ = run(capsys, *argv, "--final-epochs", "1", "--ensemble", "1", "--json")
    data = json.loads(out)
    assert code == 0 and data["objective"] == "supernet_valid_accuracy" and data["finished"] == 4
    reranked = [r for r in data["retrains"] if r["fidelity"] == 5]  # the candidates' own 5 epochs
    assert len(reranked) == 4 and not any("test_accuracy" in r["metrics"] for r in reranked)
    (retrain,) = [r for r in data["retrains"] if r["fidelity"] == 1]
    assert "test_accuracy" in retrain["metrics"]
    best_reranked = max(reranked, key=lambda r: r["metrics"]["valid_accuracy"])
    assert retrain["trial"] == best_reranked["trial"], "the final model is the reranking's best"
    assert Study.load(db).config.strategy.name == "random", "SPOS searches its supernet at random"
    stored = Study.load(db).config.evaluator
    assert stored["name"] == "supernet" and stored["data"] == "digits" and stored["epochs"] == 2
    assert (tmp_path / "s.db.artifacts" / "supernet.safetensors").exists()
    code, out, _ = run(capsys, "leaderboard", "--study", str(db))
    best = data["best"]["number"]
    assert code == 0 and f"best by the supernet's score (trial {best})" in out, "not called the best outright"
    assert f"final pick (export and serve use it): model-trial{retrain['trial']}-f1" in out


def test_one_shot_without_epochs_trains_the_supernet_its_default_and_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from nasforge.cli.search_options import _one_shot

    training = {"name": "training", "data": "mnist1d", "epochs": 5, "learning_rate": 0.01}
    assert _one_shot(training, "spos", False) == {
        "name": "supernet",
        "data": "mnist1d",
        "epochs": SUPERNET_EPOCHS["spos"],
        "candidate_epochs": 5,
        "learning_rate": 0.01,
        "method": "spos",
    }
    db = tmp_path / "p.db"
    code, _, err = run(capsys, "search", "--study", str(db), "--one-shot", "spos", *SMALL, "--epochs", "1",
                       "--budget", "1", "--final-epochs", "0")  # fmt: skip
    assert code == 0 and "training the supernet (1 epochs, a uniformly drawn path per batch)" in err
    assert "cores, " in err and "busy) for the supernet now; what trains on its own" in err


def test_one_shot_on_a_space_without_a_supernet_is_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(
        capsys, "search", "--study", str(tmp_path / "n.db"), "--one-shot", "spos", "--space", "nasnet"
    )
    assert code == 2 and "space 'nasnet' has no supernet" in err and "Traceback" not in err
    assert not (tmp_path / "n.db").exists()


def test_one_shot_darts_on_a_cell_space_answers_with_its_derived_cell(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "cells.toml"
    config.write_text("[space]\nname = 'nb201'\nchannels = 4\ncells_per_stage = 1\n")
    db = tmp_path / "d.db"
    argv = ["search", "--config", str(config), "--study", str(db), "--one-shot", "darts", "--data", "digits"]
    code, out, _ = run(capsys, *argv, "--epochs", "2", "--final-epochs", "1", "--json")
    data = json.loads(out)
    assert code == 0 and data["finished"] == 1, "DARTS' answer is one cell unless --budget asks for more"
    study = Study.load(db)
    assert study.config.evaluator["method"] == "darts"
    assert study.trials[0].genotype == study.space.parse(data["best"]["arch"])
    (retrain,) = data["retrains"]
    assert "test_accuracy" in retrain["metrics"]
    code, _, err = run(capsys, "search", "--study", str(tmp_path / "m.db"), "--one-shot", "darts", *SMALL)
    assert code == 2 and "use method 'spos' there" in err
    assert not (tmp_path / "m.db").exists(), "a refused search leaves no study behind"


def test_a_darts_config_file_answers_with_the_derived_cell_alone_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "darts.toml"
    config.write_text(
        "final_epochs = 0\n[space]\nname = 'nb201'\nchannels = 4\ncells_per_stage = 1\n"
        "[evaluator]\nname = 'supernet'\nmethod = 'darts'\ndata = 'digits'\nepochs = 1\n"
    )
    code, out, _ = run(capsys, "search", "--config", str(config), "--study", str(tmp_path / "t.db"), "--json")
    assert code == 0 and json.loads(out)["finished"] == 1


def test_one_shot_spos_searches_the_families_space_and_darts_refuses_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "f.db"
    narrow = ["--space", "families", "--choice", "channels=8", "--choice", "depth=1", "--data", "digits"]
    argv = ["search", "--study", str(db), "--one-shot", "spos", *narrow, "--epochs", "2", "--budget", "3"]
    code, out, _ = run(capsys, *argv, "--rerank", "0", "--final-epochs", "1", "--ensemble", "1", "--json")
    data = json.loads(out)
    assert code == 0 and data["finished"] == 3
    study = Study.load(db)
    assert study.space.name == "families" and study.trials[0].metrics["supernet_valid_accuracy"] > 0
    assert study.space.parse(data["best"]["arch"]).spec[0][0][0] in ("vgg", "resnet", "bottleneck",
                                                                     "mobilenet", "densenet")  # fmt: skip
    (retrain,) = data["retrains"]
    assert "test_accuracy" in retrain["metrics"]
    code, _, err = run(capsys, "search", "--study", str(tmp_path / "d.db"), "--one-shot", "darts", *narrow)
    assert code == 2 and "space 'families' has options that change shapes" in err and "Traceback" not in err
    assert not (tmp_path / "d.db").exists(), "a refused search leaves no study behind"


@pytest.mark.parametrize(
    ("extra", "supernet_epochs", "final_epochs", "budget"),
    [
        ([], SUPERNET_EPOCHS["darts"], DARTS_FINAL_EPOCHS, 1),
        (["--epochs", "3", "--final-epochs", "7", "--budget", "4"], 3, 7, 4),
    ],
)
def test_darts_defaults_give_way_to_flags(
    extra: list[str], supernet_epochs: int, final_epochs: int, budget: int
) -> None:
    args = build_parser().parse_args(["search", "--one-shot", "darts", "--space", "nb201", *extra])
    config, _ = search_options(args)
    assert config.evaluator["epochs"] == supernet_epochs
    assert (config.final_epochs, config.budget) == (final_epochs, budget)


@pytest.mark.parametrize(
    ("extra", "toml", "rerank", "ensemble", "strategy"),
    [
        ([], "", SPOS_DEFAULTS["rerank"], SPOS_DEFAULTS["ensemble"], "random"),
        (["--rerank", "3", "--ensemble", "4", "--strategy", "evolution"], "", 3, 4, "evolution"),
        ([], "rerank = 0\nensemble = 3\n[strategy]\nname = 'local'\n", 0, 3, "local"),
    ],
)
def test_spos_defaults_give_way_to_flags_and_a_config_file(
    tmp_path: Path, extra: list[str], toml: str, rerank: int, ensemble: int, strategy: str
) -> None:
    config = tmp_path / "spos.toml"
    config.write_text(toml)
    args = build_parser().parse_args(["search", "--one-shot", "spos", "--config", str(config), *extra])
    settings = search_options(args)[0]
    assert (settings.rerank, settings.ensemble, settings.strategy["name"]) == (rerank, ensemble, strategy)
    training = search_options(build_parser().parse_args(["search"]))[0]
    assert (training.rerank, training.ensemble, training.strategy["name"]) == (0, 5, "evolution")


def test_a_config_files_supernet_options_stay_beside_the_training_flags(tmp_path: Path) -> None:
    config = tmp_path / "spos.toml"
    config.write_text(
        "[evaluator]\nname = 'supernet'\nsampling = 'fair'\nsupernets = 2\nscore_dropout = false\n"
    )
    argv = ["search", "--config", str(config), "--one-shot", "spos", "--data", "digits", "--epochs", "2"]
    evaluator = search_options(build_parser().parse_args(argv))[0].evaluator
    assert evaluator["name"] == "supernet" and (evaluator["data"], evaluator["epochs"]) == ("digits", 2)
    assert (evaluator["sampling"], evaluator["supernets"], evaluator["score_dropout"]) == ("fair", 2, False)

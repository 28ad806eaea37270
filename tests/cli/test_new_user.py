"""What a new user hit when following the README past its first two commands, each reproduced."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from nasforge import StudyView
from tests.helpers import run

TINY = ["--data", "digits", "--epochs", "1", "--final-epochs", "0", "--space", "macro"]


def stored_evaluator(path: Path) -> dict[str, object]:
    with StudyView(path) as view:
        return dict(view.config.evaluator)


def test_training_flags_keep_the_other_defaults(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "search", "--budget", "1", *TINY, "--study", "a.db", "--json")
    assert code == 0, err
    assert stored_evaluator(tmp_path / "a.db")["learning_rate"] == 0.01  # once 0.003
    assert stored_evaluator(tmp_path / "a.db")["threads"] is None  # chosen per run, never stored
    run(
        capsys,
        "search",
        "--budget",
        "1",
        "--data",
        "digits",
        "--final-epochs",
        "0",
        "--study",
        "b.db",
        "--json",
    )
    assert stored_evaluator(tmp_path / "b.db")["epochs"] == 5  # once 20


def test_help_shows_the_real_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "--help")
    flat = " ".join(out.split())
    assert code == 0 and "(default 100)" in flat and "(default 5)" in flat and "default 40)" in flat


def test_strategy_params_without_a_strategy_and_small_populations(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["search", "--table", "--budget", "6", "--json"]
    code, _, err = run(capsys, *argv, "--param", "population_size=20", "--study", "p.db")
    assert code == 0, err
    code, _, err = run(
        capsys, *argv, "--strategy", "evolution", "--param", "population_size=5", "--study", "q.db"
    )
    assert code == 0, err
    with StudyView(tmp_path / "q.db") as view:
        assert view.config.strategy.params == {"population_size": 5, "sample_size": 2}


def test_the_default_study_name_follows_data_and_space(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "search", "--budget", "1", *TINY, "--json")
    assert code == 0, err
    assert (tmp_path / "runs" / "digits-macro.db").exists()
    code, _, err = run(capsys, "search", "--table", "--budget", "2", "--json")
    assert code == 0 and (tmp_path / "runs" / "table-nb201.db").exists()
    code, _, err = run(capsys, "search", "--budget", "1", *TINY, "--learning-rate", "0.1")
    assert code == 2 and "contradicts the stored study" in err and "--study or --name" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--metric", "nosuch"], "objective must be a metric of the evaluator: "),
        (["--metric", "test_accuracy"], "test split, which only the final report may look at"),
        (["--device", "cuda"], "no CUDA GPU"),
        (["--constraint", "latency<3"], "NAME<=VALUE"),
        (["--ray-address", "auto"], "ray_address needs the ray executor"),
        (["--gpus-per-trial", "1"], "gpus_per_trial needs the ray executor"),
        (["--max-latency-ms", "-1"], "--max-latency-ms: must be a number > 0"),
        (["--train-subset", "100000"], "train_subset must be at most the 1,294 training examples"),
        (["--label-column", "y"], "label_column applies to CSV files only; data 'digits' is not one"),
    ],
)
def test_a_refused_search_writes_nothing_and_the_corrected_one_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], message: str
) -> None:
    if "cuda" in argv:
        pytest.importorskip("torch")
        import torch

        if torch.cuda.is_available():
            pytest.skip("a GPU is present")
    code, _, err = run(capsys, "search", "--budget", "2", *TINY, *argv, "--study", "m.db")
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "m.db").exists()  # nothing that would block the corrected command
    code, _, err = run(capsys, "search", "--budget", "1", *TINY, "--study", "m.db", "--json")
    assert code == 0, err
    assert len(StudyView(tmp_path / "m.db").trials) == 1


def test_a_search_whose_every_trial_failed_exits_non_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "search", "--budget", "2", *TINY, "--max-params", "1", "--study", "f.db")
    assert code == 2 and "every trial failed" in err and "max_params" in err


def test_read_commands_on_bad_files_give_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(capsys, "search", "--table", "--budget", "3", "--study", "s.db", "--json")
    (tmp_path / "broken.db").write_bytes((tmp_path / "s.db").read_bytes()[:4096] + b"\x17" * 8192)
    with sqlite3.connect(tmp_path / "other.db") as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    before = hashlib.sha256((tmp_path / "other.db").read_bytes()).hexdigest()
    for command in ("leaderboard", "trials"):
        for path in ("broken.db", "other.db", "missing.db", "."):
            code, _, err = run(capsys, command, "--study", path)
            assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, (command, path, err)
    assert hashlib.sha256((tmp_path / "other.db").read_bytes()).hexdigest() == before
    for output in (".", "nowhere/t.csv"):
        code, _, err = run(capsys, "trials", "--study", "s.db", "--output", output)
        assert code == 2 and "--output" in err
    (tmp_path / "cfg").mkdir()
    code, _, err = run(capsys, "search", "--config", "cfg")
    assert code == 2 and "must be a TOML file" in err


def test_argparse_mistakes_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "search", "--budget", "zero")
    assert code == 2 and err.count("\n") == 1 and "--budget" in err


@pytest.mark.slow
def test_piped_leaderboard_keeps_its_headers_and_shows_the_retraining(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "nasforge.cli.main"]
    searched = subprocess.run(
        [*argv, "search", "--budget", "2", *TINY[:-2], "--final-epochs", "1", "--study", "s.db", "--metric",
         "valid_accuracy", "--max-latency-ms", "50", "--constraint", "params<=1e6"],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )  # fmt: skip
    # The final retraining reports its progress off a TTY too: its epochs, or its trials where
    # they run side by side (cores free).
    assert "epoch 1/1" in searched.stderr or "trial 2/2" in searched.stderr
    out = subprocess.run(
        [*argv, "leaderboard", "--study", "s.db"], capture_output=True, text=True, cwd=tmp_path, check=True
    ).stdout
    assert "valid_accuracy" in out and "params" in out and "retrained for 1 epochs" in out
    header = next(line for line in out.splitlines() if "rank" in line)
    assert "feasible" in header and "ms/sample" in header and "…" not in out  # full columns on a pipe
    resumed = subprocess.run(
        [*argv, "search", "--study", "s.db", "--budget", "3"], capture_output=True, text=True, cwd=tmp_path
    )
    assert resumed.returncode == 0 and "resuming s.db: 2 trials stored" in resumed.stderr
    assert "trial 2 (3/3)" in resumed.stderr  # log lines use the trial numbers of the leaderboard


def test_curves_are_exported(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    run(capsys, "search", "--budget", "1", *TINY, "--study", "c.db", "--json")
    code, out, _ = run(capsys, "trials", "--study", "c.db", "--curves", "--format", "json")
    rows = json.loads(out)
    names = {r["name"] for r in rows}
    assert code == 0 and {"train_loss", "valid_accuracy", "inference_ms"} <= names
    assert any(n.startswith("norm/") for n in names)
    code, out, _ = run(capsys, "trials", "--study", "c.db", "--curves", "--trial", "0", "--output", "c.csv")
    assert code == 0 and (tmp_path / "c.csv").read_text().startswith("trial,name,step,value")


def test_save_top_k_keeps_the_best_models(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    argv = [
        "search",
        "--budget",
        "3",
        *TINY[:-4],
        "--final-epochs",
        "1",
        "--save-top-k",
        "2",
        "--ensemble",
        "1",
        "--study",
        "k.db",
    ]
    code, out, err = run(capsys, *argv, "--json")
    assert code == 0, err
    assert len(json.loads(out)["retrains"]) == 2
    folders = sorted(p.name for p in (tmp_path / "k.db.artifacts").iterdir())
    assert len(folders) == 2 and all(
        (tmp_path / "k.db.artifacts" / f / "card.json").exists() for f in folders
    )

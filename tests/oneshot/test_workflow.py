"""A one-shot study keeps its supernet: weights and curves beside the study, and a training
killed with SIGKILL continues from its last epoch to the very weights of an unbroken run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from nasforge import Study, make_space
from nasforge.oneshot.evaluator import SupernetEvaluator
from nasforge.oneshot.workflow import CHECKPOINT, WEIGHTS, prepare_supernet, supernet_curves
from tests.oneshot.test_spos import SPACE

EPOCHS = 6
# Runs `nasforge` with argv[2:], SIGKILLing itself once argv[1] supernet epochs are checkpointed.
KILLER = """
import os, signal, sys
import nasforge.oneshot.supernet_training as training
from nasforge.cli.main import main
limit, save = int(sys.argv[1]), training.save_checkpoint
def save_then_die(path, trainer):
    save(path, trainer)
    if trainer.epoch >= limit:
        os.kill(os.getpid(), signal.SIGKILL)
training.save_checkpoint = save_then_die
sys.exit(main(sys.argv[2:]))
"""


def _study(path: Path, evaluator: SupernetEvaluator) -> Study:
    return Study.create(
        make_space(SPACE), "random", objective=evaluator.objective, path=path, evaluator=evaluator
    )


def _evaluator() -> SupernetEvaluator:
    return SupernetEvaluator(data="digits", epochs=EPOCHS, learning_rate=0.01, threads=1)


def test_the_supernet_is_trained_once_and_kept_with_its_curves(tmp_path: Path) -> None:
    evaluator = _evaluator()
    study = _study(tmp_path / "s.db", evaluator)
    epochs_seen: list[tuple[int, int]] = []
    assert prepare_supernet(study, evaluator, lambda done, total: epochs_seen.append((done, total)))
    assert epochs_seen == [(e, EPOCHS) for e in range(EPOCHS + 1)]
    folder = study.artifact_dir
    assert folder is not None and (folder / WEIGHTS).exists() and not (folder / CHECKPOINT).exists()
    curves = supernet_curves(study)
    assert sorted(curves) == ["train_accuracy", "train_loss"]
    assert len(curves["train_loss"]) == EPOCHS
    assert curves["train_loss"][-1] < curves["train_loss"][0]
    study.optimize(evaluator, 3)
    study.close()

    # Reopened (as a resumed search is), the stored supernet is used, not trained again.
    reopened, fresh = Study.load(tmp_path / "s.db"), _evaluator()
    assert not prepare_supernet(reopened, fresh)
    assert fresh.weights == str(folder / WEIGHTS)
    reopened.optimize(fresh, 3)
    assert [t.metrics for t in reopened.trials[:3]] == [t.metrics for t in study.trials[:3]]
    assert supernet_curves(reopened) == curves


def test_a_study_in_memory_trains_its_supernet_in_process() -> None:
    evaluator = SupernetEvaluator(data="digits", epochs=1, threads=1)
    study = Study.create(make_space(SPACE), "random", objective=evaluator.objective, evaluator=evaluator)
    assert not prepare_supernet(study, evaluator)
    study.optimize(evaluator, 2)
    assert all(t.metrics.get("supernet_valid_accuracy") is not None for t in study.trials)


@pytest.mark.slow
def test_a_supernet_killed_mid_training_continues_from_its_last_epoch(tmp_path: Path) -> None:
    config = tmp_path / "spos.toml"
    config.write_text(f"[space]\nname = 'macro'\n{_toml_table(SPACE)}")
    argv = [
        "search", "--config", str(config), "--one-shot", "spos", "--data", "digits",
        "--epochs", str(EPOCHS), "--threads", "1", "--budget", "2", "--final-epochs", "0",
        "--no-progress", "--strategy", "random",
    ]  # fmt: skip
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, "2", *argv, "--study", str(tmp_path / "k.db")],
        capture_output=True,
    )
    assert killed.returncode == -9, killed.stderr.decode()
    folder = tmp_path / "k.db.artifacts"
    assert (folder / CHECKPOINT).exists() and not (folder / WEIGHTS).exists()
    resumed = subprocess.run(
        [sys.executable, "-m", "nasforge.cli.main", *argv, "--study", str(tmp_path / "k.db")],
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    unbroken = subprocess.run(
        [sys.executable, "-m", "nasforge.cli.main", *argv, "--study", str(tmp_path / "u.db")],
        capture_output=True,
    )
    assert unbroken.returncode == 0
    continued, whole = load_file(folder / WEIGHTS), load_file(tmp_path / "u.db.artifacts" / WEIGHTS)
    assert continued.keys() == whole.keys()
    for name in whole:
        torch.testing.assert_close(continued[name], whole[name], rtol=0, atol=0, msg=name)
    curves = supernet_curves(Study.load(tmp_path / "k.db"))
    assert len(curves["train_loss"]) == EPOCHS
    assert curves == supernet_curves(Study.load(tmp_path / "u.db"))


def _toml_table(space: dict[str, object]) -> str:
    lines = [f"{k} = {json.dumps(v)}" for k, v in space.items() if k not in ("name", "choices")]
    choices = ", ".join(f"{k} = {json.dumps(v)}" for k, v in space["choices"].items())  # type: ignore[attr-defined]
    return "\n".join([*lines, f"choices = {{ {choices} }}"]) + "\n"

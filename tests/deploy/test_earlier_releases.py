"""Files written by an earlier release (0.3.0, before typed model cards) open unchanged: an
exported folder loads and predicts as its ONNX file does, and a study's kept models export."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

from nasforge import load
from nasforge.cli.main import main
from nasforge.evaluators.model_card import read_card

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _predicted(folder: Path, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return load(folder)(torch.from_numpy(x)).numpy()


def test_an_earlier_exported_folder_loads_and_predicts_as_its_onnx_file() -> None:
    folder = FIXTURES / "model_v2"
    card = read_card(folder)
    assert card.members is not None and len(card.members) == 3 and card.task.input_shape == (1, 8, 8)
    assert card.metrics["test_accuracy"].split == "test" and card.data.mean is not None
    x = np.random.default_rng(0).uniform(0, 16, size=(6, 1, 8, 8)).astype(np.float32)
    session = onnxruntime.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(_predicted(folder, x), session.run(None, {"input": x})[0], atol=1e-5)


def test_an_earlier_study_exports_the_same_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(FIXTURES / "study_v2_ensemble.db", tmp_path / "s.db")
    shutil.copytree(FIXTURES / "study_v2_ensemble.db.artifacts", tmp_path / "s.db.artifacts")
    assert main(["export", str(tmp_path / "s.db"), "--out", str(tmp_path / "model")]) == 0
    assert "exported to" in capsys.readouterr().out
    x = np.random.default_rng(1).uniform(0, 16, size=(4, 1, 8, 8)).astype(np.float32)
    exported, earlier = _predicted(tmp_path / "model", x), _predicted(FIXTURES / "model_v2", x)
    np.testing.assert_allclose(exported, earlier, atol=1e-6)

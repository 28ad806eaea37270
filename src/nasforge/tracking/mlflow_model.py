"""The search's final pick as an MLflow model: the exported folder (ONNX file, card, weights,
manifest) as the model's artifact, a tensor signature, and a pyfunc that runs the ONNX file with
onnxruntime (class probabilities, or a regression's predictions: what `nasforge serve` answers).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import numpy as np
from mlflow.pyfunc import PythonModel

from nasforge.deploy.export import export_model
from nasforge.deploy.onnx_model import onnx_session, scores
from nasforge.evaluators.model_card import read_card

ARTIFACT = "model"  # the run's artifact path of the logged model


class NasforgeOnnxModel(PythonModel):  # type: ignore[misc]  # mlflow declares no types
    """Runs an exported nasforge folder's `model.onnx` on raw inputs (it standardises them itself)."""

    def load_context(self, context: Any) -> None:
        folder = Path(context.artifacts["folder"])
        card = read_card(folder)
        self.shape = tuple(card.task.input_shape)
        self.regression = card.regression
        self.session = onnx_session(folder)

    # No annotations: MLflow reads predict's type hints as an input schema, and warns at Any.
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        batch = np.asarray(model_input, dtype=np.float32).reshape(-1, *self.shape)
        return scores(self.session.run(["logits"], {"input": batch})[0], self.regression)


def log_model_folder(client: Any, run_id: str, study_file: Path) -> str:
    """Export the study's final pick and log it in `run_id` as an MLflow pyfunc model; its
    `runs:/` URI."""
    from mlflow.models import infer_signature

    with tempfile.TemporaryDirectory() as scratch:
        folder = export_model(study_file, Path(scratch) / "export")
        card = read_card(folder)
        example = np.zeros((2, *card.task.input_shape), dtype=np.float32)
        output = scores(onnx_session(folder).run(["logits"], {"input": example})[0], card.regression)
        saved = Path(scratch) / ARTIFACT
        mlflow.pyfunc.save_model(
            saved,
            python_model=NasforgeOnnxModel(),
            artifacts={"folder": str(folder)},
            signature=infer_signature(example, output),  # no input example: MLflow would reload the model
            pip_requirements=["nasforge[onnx]", "onnxruntime", "numpy"],
            metadata={"nasforge_card": card.model_dump(mode="json", include={"task", "metrics"})},
        )
        client.log_artifacts(run_id, str(saved), ARTIFACT)
    return f"runs:/{run_id}/{ARTIFACT}"

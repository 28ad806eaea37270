"""KServe's own Python model server (the `kserve` package) on a nasforge exported model folder,
with onnxruntime on its `model.onnx`: the comparison `serve_load.py` measures against.

It answers as `nasforge serve` does (probabilities and labels), with per-request logging off on
both sides. kserve pins its own dependencies, so it runs from a virtual environment of its own
(`serve_load.py --kserve-python`); it needs only kserve, onnxruntime and numpy, not nasforge.

    KSERVE_MODEL=FOLDER KSERVE_THREADS=1 kserve-venv/bin/python benchmarks/kserve_server.py --http_port 80
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import onnxruntime
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer


class ExportedModel(Model):
    def __init__(self, folder: Path) -> None:
        super().__init__(folder.name)
        self.folder = folder
        self.load()

    def load(self) -> bool:
        card = json.loads((self.folder / "card.json").read_text())
        names = (card.get("data") or {}).get("class_names")
        self.classes = np.asarray(names or [str(i) for i in range(card["task"]["num_classes"])], dtype=object)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = int(os.environ.get("KSERVE_THREADS", "1"))
        self.session = onnxruntime.InferenceSession(
            str(self.folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.ready = True
        return True

    async def predict(self, payload: InferRequest, headers=None, response_headers=None) -> InferResponse:  # type: ignore[no-untyped-def]
        x = payload.inputs[0].as_numpy().astype(np.float32, copy=False)
        logits = self.session.run(["logits"], {"input": x})[0]
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
        labels = self.classes[probs.argmax(axis=1)].tolist()
        outputs = [
            InferOutput("probabilities", list(probs.shape), "FP32", probs),
            InferOutput("labels", [len(labels)], "BYTES", labels),
        ]
        return InferResponse(response_id=payload.id or "", model_name=self.name, infer_outputs=outputs)


if __name__ == "__main__":
    for name in ("uvicorn.access", "kserve", "kserve.trace", "uvicorn.error"):
        logging.getLogger(name).setLevel(logging.WARNING)
    server = ModelServer(enable_grpc=False, enable_latency_logging=False, workers=1)
    server.start([ExportedModel(Path(os.environ["KSERVE_MODEL"]))])

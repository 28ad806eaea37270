"""Serve an exported model over HTTP with the Open Inference Protocol (KServe v2).

Routes: `GET /v2/health/live`, `GET /v2/health/ready`, `GET /v2/models/{name}` (inputs and
outputs with datatype and shape, -1 for the batch), `POST /v2/models/{name}/infer` (FP32
tensors in, probabilities and labels out), `GET /metrics` (Prometheus text, `nasforge_`
prefix) and the OpenAPI docs at `/docs`. With `max_batch`, requests arriving within
`max_delay_ms` of each other run as one batch (see `nasforge.deploy.batching`). With a token, every
route but health needs `Authorization: Bearer <token>`. Bad requests get a 4xx with
`{"error": ...}`; the server never dies from a request. (FastAPI is imported at module level:
it resolves the handlers' type hints from here. Only `nasforge serve` imports this module.)
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from nasforge.deploy.load import load_model
from nasforge.errors import InvalidArgumentError
from nasforge.evaluators.model_card import read_card
from nasforge.validation import check_choice

MAX_BATCH = 1024  # examples in one request
BYTES_PER_NUMBER = 32  # generous size of one float written as JSON text
RUNTIMES = ("torch", "onnx")


class ModelServer:
    """The model and the request handlers behind the routes (see `make_app`)."""

    def __init__(
        self,
        folder: str | Path,
        name: str | None = None,
        runtime: str = "torch",
        max_batch: int | None = None,
        max_delay_ms: float = 5.0,
    ) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        from nasforge.deploy.batching import MicroBatcher

        card = read_card(folder)
        self.runtime = check_choice("runtime", runtime, RUNTIMES)
        self.model = load_model(folder)
        self.session = _onnx_session(Path(folder)) if runtime == "onnx" else None
        self.shape = list(card["task"]["input_shape"])
        names = card.get("data", {}).get("class_names")
        self.classes = names or [str(i) for i in range(card["task"]["num_classes"])]
        self.name = name or Path(folder).name
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "nasforge_requests", "Inference requests", ["outcome"], registry=self.registry
        )
        self.latency = Histogram("nasforge_inference_seconds", "Inference latency", registry=self.registry)
        self.max_body_bytes = MAX_BATCH * math.prod(self.shape) * BYTES_PER_NUMBER + 65536
        self.batcher = None
        if max_batch is not None:
            sizes = Histogram(
                "nasforge_batch_examples",
                "Examples per model run (micro-batching)",
                buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
                registry=self.registry,
            )
            self.batcher = MicroBatcher(
                self.predict, max_batch=max_batch, max_delay_s=max_delay_ms / 1e3, on_batch=sizes.observe
            )

    def error(self, status: int, message: str) -> Any:
        self.requests.labels(outcome=str(status)).inc()
        return JSONResponse({"error": message}, status_code=status)

    def metadata(self, model: str) -> Any:
        if model != self.name:
            return self.error(404, f"model must be {self.name!r}, got {model!r}")
        return {
            "name": self.name,
            "platform": "pytorch" if self.session is None else "onnxruntime",
            "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, *self.shape]}],
            "outputs": [
                {"name": "probabilities", "datatype": "FP32", "shape": [-1, len(self.classes)]},
                {"name": "labels", "datatype": "BYTES", "shape": [-1]},
            ],
        }

    def predict(self, batch: Any) -> Any:
        """Class probabilities (numpy) for a float32 numpy batch."""
        import torch

        if self.session is not None:
            logits = torch.from_numpy(self.session.run(["logits"], {"input": batch})[0])
        else:
            with torch.no_grad():
                logits = self.model(torch.from_numpy(batch))
        return torch.softmax(logits, dim=1).numpy()

    async def infer(self, model: str, body: Any) -> Any:
        if model != self.name:
            return self.error(404, f"model must be {self.name!r}, got {model!r}")
        problem, batch = _parse(body, self.shape)
        if problem is not None:
            return self.error(413 if "too large" in problem else 400, problem)
        start = time.perf_counter()
        try:
            probabilities = await self.batcher.submit(batch) if self.batcher else self.predict(batch)
        except Exception as exc:  # the request fails, the server goes on
            return self.error(500, f"inference failed: {type(exc).__name__}: {exc}")
        self.latency.observe(time.perf_counter() - start)
        self.requests.labels(outcome="200").inc()
        labels = [self.classes[i] for i in probabilities.argmax(1)]
        return {
            "model_name": self.name,
            "outputs": [
                {
                    "name": "probabilities",
                    "datatype": "FP32",
                    "shape": list(probabilities.shape),
                    "data": probabilities.ravel().tolist(),
                },
                {"name": "labels", "datatype": "BYTES", "shape": [len(labels)], "data": labels},
            ],
        }


def _onnx_session(folder: Path) -> Any:
    import onnxruntime

    if not (folder / "model.onnx").exists():
        raise InvalidArgumentError(
            f"--runtime onnx needs {folder / 'model.onnx'} (write it with nasforge export)"
        )
    return onnxruntime.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])


def make_app(
    folder: str | Path,
    *,
    token: str | None = None,
    name: str | None = None,
    runtime: str = "torch",
    max_batch: int | None = None,
    max_delay_ms: float = 5.0,
) -> Any:
    """A FastAPI application serving the model folder `folder` (see the module docstring)."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    server = ModelServer(folder, name, runtime, max_batch, max_delay_ms)
    app = FastAPI(title="nasforge model server", version="2")

    @app.middleware("http")
    async def authorize(request: Request, call_next: Any) -> Any:
        open_route = request.url.path.startswith("/v2/health")
        if token and not open_route and request.headers.get("authorization") != f"Bearer {token}":
            return JSONResponse({"error": "missing or wrong bearer token"}, status_code=401)
        return await call_next(request)

    @app.post("/v2/models/{model}/infer")
    async def infer(model: str, request: Request) -> Any:
        declared = request.headers.get("content-length", "0")
        if declared.isdigit() and int(declared) > server.max_body_bytes:
            return server.error(413, f"the body is too large: at most {server.max_body_bytes:,} bytes")
        raw = await request.body()
        if len(raw) > server.max_body_bytes:
            return server.error(413, f"the body is too large: at most {server.max_body_bytes:,} bytes")
        try:
            body = json.loads(raw)
        except ValueError:
            return server.error(400, "the body must be JSON")
        return await server.infer(model, body)

    app.get("/v2/health/live")(lambda: {"live": True})
    app.get("/v2/health/ready")(lambda: {"ready": True})
    app.get("/v2/models/{model}")(server.metadata)
    app.get("/metrics")(
        lambda: PlainTextResponse(generate_latest(server.registry).decode(), media_type=CONTENT_TYPE_LATEST)
    )
    return app


def _parse(body: Any, shape: list[int]) -> tuple[str | None, Any]:
    """(problem, None) for a bad request body, else (None, the batch as nested lists)."""
    import numpy as np

    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list) or len(body["inputs"]) != 1:
        return 'the body must be {"inputs": [one tensor]}', None
    tensor = body["inputs"][0]
    if not isinstance(tensor, dict) or tensor.get("datatype") != "FP32":
        return "the input tensor must have datatype FP32", None
    declared, data = tensor.get("shape"), tensor.get("data")
    if not isinstance(declared, list) or len(declared) != len(shape) + 1 or declared[1:] != shape:
        return f"the input shape must be [batch, {', '.join(map(str, shape))}], got {declared!r}", None
    if not isinstance(declared[0], int) or declared[0] < 1:
        return f"the batch must hold at least one example, got {declared[0]!r}", None
    if declared[0] > MAX_BATCH:
        return f"the batch is too large: at most {MAX_BATCH} examples, got {declared[0]}", None
    try:
        array = np.asarray(data, dtype=np.float32)
    except (TypeError, ValueError):
        return "the input data must be numbers", None
    if array.size != math.prod(declared):
        return (
            f"the input data holds {array.size} numbers, the shape {declared} needs {math.prod(declared)}",
            None,
        )
    if not np.all(np.isfinite(array)):
        return "the input data holds NaN or Inf", None
    return None, array.reshape(declared)


def serve(
    folder: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    runtime: str = "torch",
    max_batch: int | None = None,
    max_delay_ms: float = 5.0,
) -> None:
    """Run the server until interrupted (uvicorn); `runtime` is "torch" or "onnx" (onnxruntime);
    `max_batch` turns on micro-batching (requests within `max_delay_ms` run as one batch)."""
    import uvicorn

    app = make_app(folder, token=token, runtime=runtime, max_batch=max_batch, max_delay_ms=max_delay_ms)
    uvicorn.run(app, host=host, port=port, log_level="warning")

"""Serve an exported model over HTTP with the Open Inference Protocol (KServe v2).

Routes: `GET /v2/health/live`, `GET /v2/health/ready`, `GET /v2/models/{name}` (inputs and
outputs with datatype and shape, -1 for the batch), `POST /v2/models/{name}/infer` (FP32
tensors in, probabilities and labels out), `GET /metrics` (Prometheus text, `nasforge_`
prefix), the OpenAPI schema at `/openapi.json` and, with `docs=True`, its pages at `/docs`.
With `max_batch`, requests waiting together run as one batch; a lone request runs at once (see
`nasforge.deploy.batching`). With a token, every route but health needs
`Authorization: Bearer <token>`. Bad requests get a 4xx with `{"error": ...}`; the server
never dies from a request. (FastAPI is imported at module level: it resolves the handlers'
type hints from here. Only `nasforge serve` imports this module.)
"""

from __future__ import annotations

import contextlib
import hmac
import json
import math
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nasforge.extras import missing_extra

try:
    import orjson
    from anyio import CapacityLimiter, to_thread
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, PlainTextResponse, Response
    from starlette.exceptions import HTTPException as StarletteHTTPException
except ImportError as exc:
    raise missing_extra("serve", "nasforge serve", exc.name) from None

from nasforge import __version__
from nasforge.deploy import binary_tensors as bt
from nasforge.deploy.load import load_model, verify
from nasforge.deploy.onnx_model import onnx_session, scores
from nasforge.deploy.protocol import MAX_BATCH, documented
from nasforge.errors import InvalidArgumentError
from nasforge.evaluators.model_card import read_card
from nasforge.validation import check_choice

if TYPE_CHECKING:
    from collections.abc import Iterator

    from torch import nn

BYTES_PER_NUMBER = 32  # generous size of one float written as JSON text
# Model runs at once, each in a worker thread; the model's own threads do the parallel work, so
# more runs would only take turns on the same cores and starve the event loop that answers
# health checks (a 20 ms model at 32 clients: health p99 10 ms with 1-2 runs, 359 ms with 40).
CONCURRENT_RUNS = 2
RUNTIMES = {"torch": None, "onnx": "model.onnx", "int8": "model.int8.onnx"}  # runtime -> ONNX file


class ModelServer:
    """The model and the request handlers behind the routes (see `make_app`)."""

    def __init__(
        self,
        folder: str | Path,
        name: str | None = None,
        runtime: str = "torch",
        max_batch: int | None = None,
        max_delay_ms: float = 5.0,
        trust_code: bool = False,
        check_integrity: bool = True,
        threads: int | None = None,
    ) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        from nasforge.deploy.batching import MicroBatcher

        card = read_card(folder)
        self.runtime = check_choice("runtime", runtime, RUNTIMES)
        onnx_file = RUNTIMES[self.runtime]
        self.model: nn.Module | None = None
        if onnx_file is None:
            self.model = load_model(folder, trust_code=trust_code, check_integrity=check_integrity)
            self.session = None
        else:  # the ONNX file alone: no network rebuilt, no code of a user's space run
            if check_integrity:
                verify(folder)
            self.session = onnx_session(Path(folder), onnx_file, threads)
        self.shape = list(card.task.input_shape)
        self.classes = card.classes()
        self.labels = np.asarray(self.classes, dtype=object)
        self.regression = card.regression
        self.name = name or Path(folder).name
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "nasforge_requests", "Inference requests", ["outcome"], registry=self.registry
        )
        self._counters: dict[int, Any] = {}
        self.latency = Histogram("nasforge_inference_seconds", "Inference latency", registry=self.registry)
        self.max_body_bytes = MAX_BATCH * math.prod(self.shape) * BYTES_PER_NUMBER + 65536
        self.computing = CapacityLimiter(CONCURRENT_RUNS)
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
        return JSONResponse({"error": message}, status_code=status)

    def count(self, status: int) -> None:
        """One more inference request answered with `status` (counters cached per status)."""
        counter = self._counters.get(status)
        if counter is None:
            counter = self._counters[status] = self.requests.labels(outcome=str(status))
        counter.inc()

    def metadata(self, model: str) -> Any:
        if model != self.name:
            return self.error(404, f"model must be {self.name!r}, got {model!r}")
        return {
            "name": self.name,
            "platform": "pytorch" if self.session is None else "onnxruntime",
            "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, *self.shape]}],
            "outputs": [{"name": "predictions", "datatype": "FP32", "shape": [-1, 1]}]
            if self.regression
            else [
                {"name": "probabilities", "datatype": "FP32", "shape": [-1, len(self.classes)]},
                {"name": "labels", "datatype": "BYTES", "shape": [-1]},
            ],
        }

    def ready(self, model: str) -> Any:
        if model != self.name:
            return self.error(404, f"model must be {self.name!r}, got {model!r}")
        return {"name": self.name, "ready": True}

    def predict(self, batch: Any) -> Any:
        """Class probabilities (numpy) for a float32 numpy batch; a regression's predictions."""
        if self.session is not None:
            outputs = self.session.run(["logits"], {"input": batch})[0]
        else:
            import torch

            assert self.model is not None  # the torch runtime loaded it
            with torch.inference_mode():
                outputs = self.model(torch.from_numpy(batch)).numpy()
        return scores(outputs, self.regression)

    async def infer(self, model: str, body: Any, binary: bytes = b"") -> Any:
        if model != self.name:
            return self.error(404, f"model must be {self.name!r}, got {model!r}")
        problem, batch = _parse(body, self.shape, binary)
        if problem is not None:
            return self.error(400, problem)
        asked, binary_out = bt.wanted_binary(body)
        names = ["predictions"] if self.regression else ["probabilities", "labels"]
        if asked is not None and not asked <= set(names):
            unknown = ", ".join(sorted(asked - set(names)))
            return self.error(400, f"outputs must name some of {', '.join(names)}; got unknown {unknown}")
        start = time.perf_counter()
        try:
            # off the event loop: health, metadata and /metrics answer while a model computes
            scores = (
                await self.batcher.submit(batch)
                if self.batcher
                else await to_thread.run_sync(self.predict, batch, limiter=self.computing)
            )
        except Exception as exc:  # the request fails, the server goes on
            return self.error(500, f"inference failed: {type(exc).__name__}: {exc}")
        self.latency.observe(time.perf_counter() - start)
        if self.regression:
            outputs = [("predictions", "FP32", scores)]
        else:
            labels = self.labels[scores.argmax(1)]
            outputs = [("probabilities", "FP32", scores), ("labels", "BYTES", labels)]
        return _answer(self.name, outputs, asked, binary_out)


def _answer(name: str, outputs: list[tuple[str, str, Any]], asked: set[str] | None, binary: set[str]) -> Any:
    """The inference response: JSON, or a JSON header followed by the outputs asked for as binary
    data (the binary tensor data extension)."""
    header: list[dict[str, Any]] = []
    blobs: list[bytes] = []
    for output, datatype, array in outputs:
        if asked is not None and output not in asked:
            continue
        tensor: dict[str, Any] = {"name": output, "datatype": datatype, "shape": list(array.shape)}
        if output in binary or "*" in binary:
            blobs.append(bt.encode(array, datatype))
            tensor["parameters"] = {"binary_data_size": len(blobs[-1])}
        else:
            tensor["data"] = array.ravel() if datatype == "FP32" else array.ravel().tolist()
        header.append(tensor)
    text = orjson.dumps({"model_name": name, "outputs": header}, option=orjson.OPT_SERIALIZE_NUMPY)
    if not blobs:
        return Response(text, media_type="application/json")
    headers = {"Inference-Header-Content-Length": str(len(text))}
    return Response(b"".join([text, *blobs]), media_type="application/octet-stream", headers=headers)


def make_app(
    folder: str | Path,
    *,
    token: str | None = None,
    name: str | None = None,
    runtime: str = "torch",
    max_batch: int | None = None,
    max_delay_ms: float = 5.0,
    trust_code: bool = False,
    check_integrity: bool = True,
    docs: bool = False,
    threads: int | None = None,
    every_worker: bool = False,
) -> Any:
    """A FastAPI application serving the model folder `folder` (see the module docstring);
    `threads`: onnxruntime's threads (default: its own choice); `every_worker`: `/metrics` sums
    the counts of all of `serve`'s workers (their private folder, set by `serve`)."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    server = ModelServer(folder, name, runtime, max_batch, max_delay_ms, trust_code, check_integrity, threads)
    hidden: dict[str, Any] = {} if docs else {"docs_url": None, "redoc_url": None}
    app = FastAPI(title="nasforge model server", version="2", **hidden)
    _guard(app, server, token)

    async def infer(request: Request) -> Any:  # a plain Starlette route: no per-request dependency solving
        problem, body, binary = await _read_body(request, server.max_body_bytes)
        if problem is not None:
            return server.error(*problem)
        return await server.infer(request.path_params["model"], body, binary)

    app.add_route("/v2/models/{model}/infer", infer, methods=["POST"])

    app.get("/v2/health/live")(lambda: {"live": True})
    app.get("/v2/health/ready")(lambda: {"ready": True})
    app.get("/v2")(lambda: {"name": "nasforge", "version": __version__, "extensions": ["binary_tensor_data"]})
    app.get("/v2/models/{model}")(server.metadata)
    app.get("/v2/models/{model}/ready")(server.ready)
    shown = _every_worker() if every_worker else server.registry
    app.get("/metrics")(
        lambda: PlainTextResponse(generate_latest(shown).decode(), media_type=CONTENT_TYPE_LATEST)
    )
    documented(app, server.name, server.shape, bool(token))
    return app


SHARED_METRICS = "PROMETHEUS_MULTIPROC_DIR"  # where the workers' counters live (prometheus_client)


def _every_worker() -> Any:
    """A registry summing every worker's counts (their folder, `PROMETHEUS_MULTIPROC_DIR`, is
    private to one `serve` run: a replaced worker's counts stay, a past run's never show)."""
    from prometheus_client import CollectorRegistry, multiprocess

    every_worker = CollectorRegistry()
    multiprocess.MultiProcessCollector(every_worker)  # type: ignore[no-untyped-call]
    return every_worker


def _guard(app: FastAPI, server: ModelServer, token: str | None) -> None:
    """Every route but health behind the token; errors as `{"error": ...}` (also those FastAPI
    raises itself: unknown routes, wrong methods); each inference request counted by status."""
    app.add_middleware(_Guard, server=server, token=token)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Any:
        return server.error(422, f"invalid request: {exc.errors()}")


class _Guard:
    """ASGI middleware (a plain one: Starlette's `BaseHTTPMiddleware` costs a task and a stream
    per request) for the token check, the 500 of a failing handler, and the request counter."""

    def __init__(self, app: Any, server: ModelServer, token: str | None) -> None:
        self.app, self.server = app, server
        self.expected = None if not token else f"Bearer {token}".encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        status = [0]

        async def observed(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                if path.endswith("/infer"):  # counted before the client can read the answer
                    self.server.count(status[0])
            await send(message)

        if self.expected is not None and not path.startswith("/v2/health") and not self._authorized(scope):
            await self.server.error(401, "missing or wrong bearer token")(scope, receive, observed)
        else:
            try:
                await self.app(scope, receive, observed)
            except Exception as exc:  # the request fails as JSON, the server goes on
                failed = self.server.error(500, f"internal error: {type(exc).__name__}")
                if not status[0]:
                    await failed(scope, receive, observed)

    def _authorized(self, scope: Any) -> bool:
        given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        return hmac.compare_digest(given, self.expected or b"")


async def _read_body(request: Request, max_bytes: int) -> tuple[tuple[int, str] | None, Any, bytes]:
    """((status, problem), None, b"") for a body that is too large or not JSON, else (None, the
    JSON body, the binary data after it: see `nasforge.deploy.binary_tensors`)."""
    too_large = (413, f"the body is too large: at most {max_bytes:,} bytes")
    declared = request.headers.get("content-length", "0")
    if declared.isdigit() and int(declared) > max_bytes:
        return too_large, None, b""
    chunks, size = [], 0
    async for chunk in request.stream():  # a chunked upload is refused as soon as it is too large
        size += len(chunk)
        if size > max_bytes:
            return too_large, None, b""
        chunks.append(chunk)
    raw = b"".join(chunks)
    problem, head, binary = bt.split_body(raw, request.headers.get(bt.HEADER))
    if problem is not None:
        return (400, problem), None, b""
    try:
        return None, orjson.loads(head), binary
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc).lower():  # orjson: "depth limit exceeded"
            return (400, "the body nests too deeply"), None, b""
        if b"NaN" in head or b"Infinity" in head:  # Python's json writes them; JSON has no such numbers
            return (400, "the input data holds NaN or Inf, which JSON cannot carry"), None, b""
        return (400, "the body must be JSON"), None, b""


def _parse(body: Any, shape: list[int], binary: bytes = b"") -> tuple[str | None, Any]:
    """(problem, None) for a bad request body, else (None, the batch as a float32 array)."""
    problem, tensor = _input_tensor(body, shape)
    if problem is not None:
        return problem, None
    declared = tensor["shape"]
    needed = math.prod(declared)
    size = bt.binary_size(tensor)
    if size is not None:
        if size != 4 * needed or len(binary) != size:
            return (
                f"binary_data_size must be 4 x {needed} = {4 * needed} bytes for the shape {declared}, "
                f"and the binary data after the header as long: got {size} and {len(binary)} bytes"
            ), None
        return _finite(bt.fp32(binary).reshape(declared))
    numbers = _flat_numbers(tensor.get("data"), needed)
    if numbers is None:
        return "the input data must be numbers (nested lists of them, no true/false or text)", None
    if len(numbers) != needed:
        more = "more than " if len(numbers) > needed else ""
        return f"the input data holds {more}{len(numbers)} numbers, the shape {declared} needs {needed}", None
    return _finite(np.asarray(numbers, dtype=np.float32).reshape(declared))


def _input_tensor(body: Any, shape: list[int]) -> tuple[str | None, Any]:
    """(problem, None), or (None, the one input tensor, its name, datatype and shape checked)."""
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list) or len(body["inputs"]) != 1:
        return 'the body must be {"inputs": [one tensor]}', None
    tensor = body["inputs"][0]
    if not isinstance(tensor, dict) or tensor.get("name") != "input":
        name = tensor.get("name") if isinstance(tensor, dict) else None
        return f"the input tensor must be named 'input', got {name!r}", None
    if tensor.get("datatype") != "FP32":
        return "the input tensor must have datatype FP32", None
    declared = tensor.get("shape")
    if not isinstance(declared, list) or len(declared) != len(shape) + 1 or declared[1:] != shape:
        return f"the input shape must be [batch, {', '.join(map(str, shape))}], got {declared!r}", None
    if not isinstance(declared[0], int) or declared[0] < 1:
        return f"the batch must hold at least one example, got {declared[0]!r}", None
    if declared[0] > MAX_BATCH:
        return f"the batch holds too many examples: at most {MAX_BATCH}, got {declared[0]}", None
    return None, tensor


def _finite(batch: np.ndarray) -> tuple[str | None, Any]:
    if not np.all(np.isfinite(batch)):
        return "the input data holds NaN or Inf", None
    return None, batch


def _flat_numbers(data: Any, limit: int) -> list[float] | None:
    """The numbers of a (nested) JSON list in row-major order, or None when anything else is in
    it; walked without recursion, and stopped one past `limit` numbers."""
    if not isinstance(data, list):
        return None
    out: list[float] = []
    stack: list[Any] = [iter(data)]
    while stack and len(out) <= limit:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, list):
            stack.append(iter(item))
        elif isinstance(item, (int, float)) and not isinstance(item, bool):
            out.append(float(item))
        else:
            return None
    return out


_END = object()


WORKER_OPTIONS = "NASFORGE_SERVE_OPTIONS"  # how `serve(workers=N)` hands its options to each worker


def serve(
    folder: str | Path, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, **options: Any
) -> None:
    """Run the server until interrupted (uvicorn); `options` are `make_app`'s (`runtime` "torch",
    "onnx" or "int8": onnxruntime on `model.onnx` or `model.int8.onnx`; `max_batch` turns on
    micro-batching). With `workers` > 1, that many processes share the port, each with its own
    copy of the model and an equal share of the CPU cores, and `/metrics` counts every worker's
    requests; a worker that dies is replaced."""
    import uvicorn

    if workers < 1:
        raise InvalidArgumentError(f"--workers must be at least 1, got {workers}")
    app = make_app(folder, **options)  # loaded here first: a model that cannot load is one line
    listening = _listen(host, port)
    name = Path(folder).name
    runtime = options.get("runtime", "torch")
    print(
        f"serving {name} ({runtime}, {workers} worker{'s' * (workers > 1)}) at "
        f"http://{host}:{port}/v2/models/{name} (Ctrl-C to stop)",
        flush=True,
    )
    settings: dict[str, Any] = {"log_level": "warning", "server_header": False}
    if workers == 1:
        uvicorn.Server(uvicorn.Config(app, **settings)).run(sockets=[listening])
        return
    from uvicorn.supervisors import Multiprocess

    del app
    handed = json.dumps({"folder": str(folder), "workers": workers, **options})
    config = uvicorn.Config(f"{__name__}:app_from_environment", factory=True, workers=workers, **settings)
    with contextlib.ExitStack() as run:
        private = run.enter_context(tempfile.TemporaryDirectory(prefix="nasforge-metrics-"))
        # read when each worker starts (prometheus_client at import); this process's own are restored
        run.enter_context(_environment({WORKER_OPTIONS: handed, SHARED_METRICS: private}))
        Multiprocess(config, sockets=[listening]).run()


@contextlib.contextmanager
def _environment(variables: dict[str, str]) -> Iterator[None]:
    """`variables` set in the environment for the block, the previous values restored after."""
    before = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def app_from_environment() -> Any:
    """A worker's application, from the options `serve` left in the environment."""
    options = json.loads(os.environ[WORKER_OPTIONS])
    folder, workers = options.pop("folder"), options.pop("workers")
    share = max(1, (os.cpu_count() or 1) // workers)
    import torch

    torch.set_num_threads(share)
    return make_app(folder, **options, threads=share, every_worker=True)


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port), or a one-line error naming the option at fault."""
    if not 0 < port < 65536:
        raise InvalidArgumentError(f"--port must be between 1 and 65535, got {port}")
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except (socket.gaierror, UnicodeError) as exc:
        raise InvalidArgumentError(f"--host {host!r} is not an address of this machine ({exc})") from None
    listening = socket.socket(family, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as exc:
        listening.close()
        raise InvalidArgumentError(
            f"--port {port}: cannot listen on {host}:{port} ({exc.strerror})"
        ) from None
    return listening

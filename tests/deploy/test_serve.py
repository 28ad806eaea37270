"""`nasforge serve`: a real server process on 127.0.0.1 speaking the Open Inference Protocol."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from nasforge import load

TOKEN = "s3cret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["torch", "onnx", "torch --max-batch 64 --max-delay-ms 20"])
def server(exported: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, Path]]:
    port = free_port()
    argv = [sys.executable, "-m", "nasforge.cli.main", "serve", str(exported), "--port", str(port)]
    argv += ["--runtime", *request.param.split()]
    process = subprocess.Popen([*argv, "--token", TOKEN], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/v2/health/ready", timeout=1)
            break
        except OSError:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            time.sleep(0.2)
    yield url, exported
    process.terminate()
    process.wait(timeout=10)


def call(url: str, body: Any = None, token: str | None = TOKEN, raw: bytes | None = None) -> tuple[int, Any]:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text.startswith("{") else text
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read().decode())


def tensor(x: np.ndarray) -> dict[str, Any]:
    return {
        "inputs": [{"name": "input", "datatype": "FP32", "shape": list(x.shape), "data": x.ravel().tolist()}]
    }


def test_predictions_equal_the_in_process_model(server: tuple[str, Path]) -> None:
    url, folder = server
    name = folder.name
    status, meta = call(f"{url}/v2/models/{name}")
    assert status == 200 and meta["inputs"][0]["shape"] == [-1, 1, 8, 8]
    x = np.random.default_rng(0).normal(size=(5, 1, 8, 8)).astype(np.float32)
    status, answer = call(f"{url}/v2/models/{name}/infer", tensor(x))
    assert status == 200
    probabilities = np.array(answer["outputs"][0]["data"], dtype=np.float32).reshape(5, 10)
    with torch.no_grad():
        expected = torch.softmax(load(folder)(torch.from_numpy(x)), dim=1).numpy()
    assert np.allclose(probabilities, expected, atol=1e-5)
    assert answer["outputs"][1]["data"] == [str(i) for i in expected.argmax(1)]
    status, text = call(f"{url}/metrics")
    assert status == 200 and "nasforge_requests_total" in text and "nasforge_inference_seconds_bucket" in text


def test_bad_requests_get_4xx_and_the_server_goes_on(server: tuple[str, Path]) -> None:
    url, folder = server
    infer = f"{url}/v2/models/{folder.name}/infer"
    good = tensor(np.zeros((1, 1, 8, 8), dtype=np.float32))
    cases = [
        (dict(raw=b"{not json"), 400, "JSON"),
        (dict(body={"inputs": []}), 400, "one tensor"),
        (dict(body={"inputs": [{**good["inputs"][0], "shape": [1, 8, 8]}]}), 400, "shape"),
        (dict(body={"inputs": [{**good["inputs"][0], "datatype": "INT8"}]}), 400, "FP32"),
        (dict(body={"inputs": [{**good["inputs"][0], "data": [float("nan")] * 64}]}), 400, "NaN"),
        (
            dict(body={"inputs": [{**good["inputs"][0], "shape": [0, 1, 8, 8], "data": []}]}),
            400,
            "at least one",
        ),
        (dict(body={"inputs": [{**good["inputs"][0], "shape": [5000, 1, 8, 8]}]}), 413, "too large"),
        (dict(body={"inputs": [{**good["inputs"][0], "data": [1.0] * 3}]}), 400, "needs 64"),
        (dict(raw=b" " * 3_000_000), 413, "body is too large"),
    ]
    for kwargs, status, message in cases:
        got, answer = call(infer, **kwargs)  # type: ignore[arg-type]
        assert got == status and message in answer["error"], (kwargs, got, answer)
    assert call(f"{url}/v2/models/other/infer", good)[0] == 404
    assert call(infer, good)[0] == 200  # still serving


def test_a_token_is_required_except_for_health(server: tuple[str, Path]) -> None:
    url, folder = server
    assert call(f"{url}/v2/health/live", token=None) == (200, {"live": True})
    status, answer = call(f"{url}/v2/models/{folder.name}", token=None)
    assert status == 401 and "bearer token" in answer["error"]
    assert call(f"{url}/v2/models/{folder.name}", token="wrong")[0] == 401


def test_concurrent_requests_each_get_their_own_rows(
    server: tuple[str, Path], request: pytest.FixtureRequest
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    url, folder = server
    inputs = [
        np.random.default_rng(i).normal(size=(1 + i % 3, 1, 8, 8)).astype(np.float32) for i in range(24)
    ]
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda x: call(f"{url}/v2/models/{folder.name}/infer", tensor(x)), inputs))
    model = load(folder)
    for x, (status, answer) in zip(inputs, answers, strict=True):
        with torch.no_grad():
            expected = torch.softmax(model(torch.from_numpy(x)), dim=1).numpy()
        assert status == 200 and answer["outputs"][0]["shape"] == [len(x), 10]
        assert np.allclose(np.array(answer["outputs"][0]["data"]).reshape(len(x), 10), expected, atol=1e-5)
    _, text = call(f"{url}/metrics")
    runs = [
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("nasforge_batch_examples_count")
    ]
    if "--max-batch" in request.node.callspec.params["server"]:  # some requests shared a model run
        assert len(runs) == 1 and 1 <= runs[0] < len(inputs)
    else:
        assert runs == []

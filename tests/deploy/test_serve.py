"""`nasforge serve`: a real server process on 127.0.0.1 speaking the Open Inference Protocol."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from nasforge import load
from tests.helpers import TOKEN, call, free_port, serving, tensor

pytestmark = pytest.mark.slow  # server subprocesses


@pytest.fixture(params=["torch", "onnx", "torch --max-batch 64 --max-delay-ms 20"])
def server(exported: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, Path]]:
    with serving(exported, "--runtime", *request.param.split(), "--token", TOKEN) as url:
        yield url, exported


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
        (
            dict(body={"inputs": [{**good["inputs"][0], "shape": [5000, 1, 8, 8]}]}),
            400,
            "at most 1024, got 5000",
        ),
        (dict(body={"inputs": [{**good["inputs"][0], "data": [1.0] * 3}]}), 400, "needs 64"),
        (dict(raw=b"[" * 100_000 + b"]" * 100_000), 400, "nests too deeply"),
        (dict(body={"inputs": [{**good["inputs"][0], "data": [True] * 64}]}), 400, "no true/false"),
        (dict(body={"inputs": [{**good["inputs"][0], "data": [[0.0] * 32, ["x"] * 32]}]}), 400, "numbers"),
        (dict(body={"inputs": [{**good["inputs"][0], "name": "image"}]}), 400, "named 'input', got 'image'"),
        (dict(body={**good, "outputs": [{"name": "logits"}]}), 400, "got unknown logits"),
    ]
    for kwargs, status, message in cases:
        got, answer = call(infer, **kwargs)  # type: ignore[arg-type]
        assert got == status and message in answer["error"], (kwargs, got, answer)
    assert too_large_declared(url, f"/v2/models/{folder.name}/infer") == 413
    status, sent = too_large_chunked(url, f"/v2/models/{folder.name}/infer")
    assert status == 413 and sent < 20_000_000  # refused while arriving, not after 200 MB
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
    counted = {
        line.split()[0]: float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("nasforge_batch_examples_")
    }
    if "--max-batch" in request.node.callspec.params["server"]:
        # every example went through the batcher, in at most one model run per request (requests
        # share a run only when they arrive together: tests/deploy/test_batching.py)
        assert counted["nasforge_batch_examples_sum"] == sum(len(x) for x in inputs)
        assert 1 <= counted["nasforge_batch_examples_count"] <= len(inputs)
    else:
        assert counted == {}


def test_every_error_is_json_and_counted(server: tuple[str, Path]) -> None:
    url, folder = server
    infer = f"{url}/v2/models/{folder.name}/infer"
    assert call(f"{url}/v2/nothing/here") == (404, {"error": "Not Found"})
    request = urllib.request.Request(infer, method="GET", headers={"Authorization": f"Bearer {TOKEN}"})
    with pytest.raises(urllib.error.HTTPError) as wrong_method:
        urllib.request.urlopen(request, timeout=10)
    assert wrong_method.value.code == 405 and json.loads(wrong_method.value.read()) == {
        "error": "Method Not Allowed"
    }
    good = tensor(np.zeros((1, 1, 8, 8), dtype=np.float32))
    assert call(infer, good, token="wrong")[0] == 401
    assert call(infer, raw=b"[" * 100_000)[0] == 400
    assert call(infer, good)[0] == 200
    _, text = call(f"{url}/metrics")
    counted = {
        line.split('outcome="')[1].split('"')[0]: float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith("nasforge_requests_total{")
    }
    assert counted == {"405": 1.0, "401": 1.0, "400": 1.0, "200": 1.0}


def test_raw_data_gets_the_accuracy_the_card_states(server: tuple[str, Path]) -> None:
    """The model standardises its input itself: digits as the user has them (pixel counts 0-16)."""
    from nasforge.data.cache import cached_dataset
    from nasforge.deploy.standardize import unstandardize
    from nasforge.evaluators.model_card import read_card

    url, folder = server
    card = read_card(folder)
    dataset = cached_dataset("digits", None, None, 0)
    raw = unstandardize(dataset.test.x, card)
    assert np.allclose(raw, np.round(raw), atol=1e-3) and raw.max() > 10  # the data's own units
    status, answer = call(f"{url}/v2/models/{folder.name}/infer", tensor(raw))
    assert status == 200
    predicted = np.array(answer["outputs"][1]["data"]).astype(int)
    stated = card.metrics["test_accuracy"].value
    assert np.mean(predicted == dataset.test.y) == pytest.approx(stated, abs=1.5 / len(raw))


def test_docs_are_off_unless_asked_and_headers_name_no_server(exported: Path) -> None:
    with serving(exported) as url:
        assert call(f"{url}/docs", token=None)[0] == 404
        assert call(f"{url}/openapi.json", token=None)[0] == 200  # clients still read the schema
        with urllib.request.urlopen(f"{url}/v2/health/live", timeout=10) as response:
            assert response.headers.get("server") is None
    with serving(exported, "--docs", "--token", TOKEN) as url:
        assert call(f"{url}/docs", token=None)[0] == 401  # behind the token like every route but health
        assert call(f"{url}/docs")[0] == 200


def too_large_declared(url: str, path: str) -> int:
    """The status for a body declared far above the limit (answered before it is read, so only the
    headers are sent: sending 3 MB the server will not read races its early answer)."""
    import http.client

    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.putrequest("POST", path)
    connection.putheader("Authorization", f"Bearer {TOKEN}")
    connection.putheader("Content-Length", "3000000")
    connection.endheaders()
    status = connection.getresponse().status
    connection.close()
    return status


def too_large_chunked(url: str, path: str, total: int = 200_000_000) -> tuple[int, int]:
    """The status for a chunked upload of `total` bytes (no Content-Length), and how many bytes
    were sent before the answer came."""
    import select
    import socket

    host, port = url.removeprefix("http://").split(":")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"1" * 65536
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode())
        try:
            while sent < total and not select.select([sock], [], [], 0)[0]:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            if sent >= total:
                sock.sendall(b"0\r\n\r\n")  # the whole body sent, and still no answer
        except OSError:  # the server answered and closed while we were still sending
            pass
        status = int(sock.recv(64).split()[1])
    return status, sent


def _workers(pid: int) -> set[int]:
    """The serving processes uvicorn's supervisor `pid` has started (spawned, not its helpers)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"spawn_main" in cmdline:
                found.add(int(child))
    return found


def _until(predicate: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_workers_share_the_port_and_a_dead_one_is_replaced(exported: Path, tmp_path: Path) -> None:
    # a user's own metrics folder, holding a past run's 1,000 answers: this run never counts them
    past = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    counted = (
        "from prometheus_client import Counter; "
        "Counter('nasforge_requests', '', ['outcome']).labels('200').inc(1000)"
    )
    subprocess.run([sys.executable, "-c", counted], env=past, check=True)
    assert list(tmp_path.iterdir())
    port = free_port()
    argv = [sys.executable, "-m", "nasforge.cli.main", "serve", str(exported), "--port", str(port)]
    server = subprocess.Popen(
        [*argv, "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=past
    )
    url = f"http://127.0.0.1:{port}/v2/models/{exported.name}/infer"
    x = np.random.default_rng(1).normal(size=(3, 1, 8, 8)).astype(np.float32)
    with torch.no_grad():
        expected = torch.softmax(load(exported)(torch.from_numpy(x)), dim=1).numpy()

    def answers() -> bool:
        status, answer = call(url, tensor(x), token=None)
        assert status == 200, answer
        got = np.array(answer["outputs"][0]["data"], dtype=np.float32).reshape(3, 10)
        return bool(np.allclose(got, expected, atol=1e-5))

    try:
        _until(lambda: len(_workers(server.pid)) == 2)
        first = _workers(server.pid)
        _until(lambda: _ready(url))
        assert all(answers() for _ in range(20))
        os.kill(min(first), signal.SIGKILL)
        _until(lambda: len(_workers(server.pid)) == 2 and _workers(server.pid) != first)
        assert max(first) in _workers(server.pid)  # the other worker served on
        _until(lambda: _ready(url))
        assert all(answers() for _ in range(20))
        os.kill(max(first), signal.SIGKILL)  # now neither of the first two is left
        _until(lambda: len(_workers(server.pid)) == 2 and not _workers(server.pid) & first)
        _until(lambda: _ready(url))
        assert all(answers() for _ in range(20))
        # every scrape, whichever worker answers it, counts all 60, the dead workers' too
        metrics = url.replace(f"v2/models/{exported.name}/infer", "metrics")
        assert {_answered(metrics) for _ in range(10)} == {60}
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert server.returncode == 0, server.stderr.read().decode() if server.stderr else ""


def _answered(metrics_url: str) -> float:
    """The inference requests answered 200 that `/metrics` reports."""
    status, text = call(metrics_url, token=None)
    assert status == 200, text
    line = next(x for x in text.splitlines() if x.startswith('nasforge_requests_total{outcome="200"}'))
    return float(line.split()[-1])


def _ready(url: str) -> bool:
    try:
        return call(url.replace("/infer", "/ready"), token=None)[0] == 200
    except OSError:
        return False

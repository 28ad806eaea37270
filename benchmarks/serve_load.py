"""Load on `nasforge serve` from a second process: requests/s, latency, errors and memory.

Starts the server on a free loopback port for each runtime (torch, onnx), with and without
micro-batching, and sends single-example inference requests from this process at concurrency
1, 8 and 32 for `--seconds` each (keep-alive connections, one thread each; the load stops by
itself). Prints requests/s, p50/p99 latency, errors (target: 0) and the server's resident memory
before and after (target: growth <= 10%). Target: at concurrency 32, micro-batching serves >= 2x
the requests/s of per-request inference.

    python benchmarks/serve_load.py [--model FOLDER | --study runs/mnist1d-macro.db] [--seconds 30]
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
from compress import main_job_model

from nasforge.evaluators.model_card import read_card

CONCURRENCY = (1, 8, 32)
MICRO_BATCHING = ["--max-batch", "64", "--max-delay-ms", "2"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(folder: Path, options: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    argv = [sys.executable, "-m", "nasforge.cli.main", "serve", str(folder), "--port", str(port), *options]
    server = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/health/ready", timeout=1)
            return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"the server did not start: {' '.join(argv)}")


def load(port: int, path: str, body: bytes, concurrency: int, seconds: float) -> dict[str, float]:
    """Each thread sends requests back to back on its own connection until the deadline."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, failed = [], 0
        while time.monotonic() < deadline:
            start = time.perf_counter()
            try:
                connection.request("POST", path, body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            if ok:
                mine.append(time.perf_counter() - start)
            else:
                failed += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    ordered = sorted(latencies) or [float("nan")]
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": 1e3 * statistics.median(ordered),
        "p99_ms": 1e3 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "errors": errors[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="an exported model folder (default: export the main job's winner)")
    parser.add_argument("--study", help="a finished main-job study to export (default: run the main job)")
    parser.add_argument("--seconds", type=float, default=30.0, help="load per concurrency level")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.model) if args.model else main_job_model(args.study, Path(scratch))
        shape = read_card(folder)["task"]["input_shape"]
        x = np.random.default_rng(0).normal(size=(1, *shape)).astype(np.float32)
        body = json.dumps(
            {
                "inputs": [
                    {"name": "input", "datatype": "FP32", "shape": [1, *shape], "data": x.ravel().tolist()}
                ]
            }
        ).encode()
        rps = {}
        print("runtime  batching  conc    req/s   p50 ms   p99 ms  errors  RSS MB before -> after")
        for runtime in ("torch", "onnx"):
            for batching in (False, True):
                rps[(runtime, batching)] = serve_and_load(folder, runtime, batching, body, args.seconds)
        for runtime in ("torch", "onnx"):
            ratio = rps[(runtime, True)][32] / rps[(runtime, False)][32]
            print(f"{runtime}: at concurrency 32 micro-batching serves {ratio:.2f}x the req/s (target >= 2)")


def serve_and_load(
    folder: Path, runtime: str, batching: bool, body: bytes, seconds: float
) -> dict[int, float]:
    """Requests/s at each concurrency level against one server, with a printed row for each."""
    server, port = start_server(folder, ["--runtime", runtime] + (MICRO_BATCHING if batching else []))
    path = f"/v2/models/{folder.name}/infer"
    rps = {}
    try:
        load(port, path, body, 4, 2.0)  # warm-up
        before = rss_mb(server.pid)
        for concurrency in CONCURRENCY:
            r = load(port, path, body, concurrency, seconds)
            rps[concurrency] = r["rps"]
            print(
                f"{runtime:<8} {'on' if batching else 'off':<9} {concurrency:>4} {r['rps']:>8.0f} "
                f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['errors']:>7}  "
                f"{before:.0f} -> {rss_mb(server.pid):.0f}",
                flush=True,
            )
        print(f"  resident memory growth {100 * (rss_mb(server.pid) / before - 1):+.1f}% (target <= +10%)")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return rps


if __name__ == "__main__":
    main()

"""Does the server answer `/v2/health/ready` while its model computes? Inference requests from 32
concurrent clients (threads with keep-alive connections, one process) for a few seconds, while
another client times `/v2/health/ready` every 20 ms: health latency p50/p99, inference
requests/s and the server's resident memory once ready, for each source tree given (e.g. the
code before a change and after it, in one run).

    python benchmarks/serve_health.py FOLDER [--runtime onnx] [--src DIR ...] [--seconds 8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(folder: Path, runtime: str, src: str | None, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, **({"PYTHONPATH": src} if src else {})}
    argv = [sys.executable, "-m", "nasforge.cli.main", "serve", str(folder), "--port", str(port)]
    process = subprocess.Popen([*argv, "--runtime", runtime], env=env, stdout=subprocess.DEVNULL)
    for _ in range(300):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/v2/health/ready")
            return process
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server did not start")


def measure(folder: Path, port: int, seconds: float, clients: int) -> tuple[list[float], int]:
    card = json.loads((folder / "card.json").read_text())
    shape = card["task"]["input_shape"]
    body = json.dumps(
        {
            "inputs": [
                {
                    "name": "input",
                    "datatype": "FP32",
                    "shape": [1, *shape],
                    "data": np.zeros(shape).ravel().tolist(),
                }
            ]
        }
    )
    stop = time.monotonic() + seconds
    done = [0] * clients

    def client(i: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            connection.request(
                "POST", f"/v2/models/{folder.name}/infer", body, {"Content-Type": "application/json"}
            )
            connection.getresponse().read()
            done[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    health, probe = [], http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    time.sleep(0.5)  # the load is on
    while time.monotonic() < stop - 0.2:
        began = time.perf_counter()
        probe.request("GET", "/v2/health/ready")
        probe.getresponse().read()
        health.append((time.perf_counter() - began) * 1e3)
        time.sleep(0.02)
    for thread in threads:
        thread.join()
    return health, sum(done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--runtime", default="onnx")
    parser.add_argument("--src", nargs="*", default=[None], help="source trees to compare (PYTHONPATH)")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    for src in args.src:
        port = free_port()
        server = start(args.folder, args.runtime, src, port)
        rss = resident_mib(server.pid)
        try:
            health, requests = measure(args.folder, port, args.seconds, args.clients)
        finally:
            server.terminate()
            server.wait()
        p50, p99 = statistics.median(health), float(np.percentile(health, 99))
        print(
            f"{src or 'installed'}: health p50 {p50:.1f} ms, p99 {p99:.1f} ms ({len(health)} probes); "
            f"inference {requests / args.seconds:,.0f} requests/s at {args.clients} clients; "
            f"resident memory {rss:.0f} MiB when ready"
        )


def resident_mib(pid: int) -> float:
    """The resident set size of process `pid` (Linux /proc), in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(kib) / 1024


if __name__ == "__main__":
    main()

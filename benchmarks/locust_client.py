"""One Locust load run against a model server, as a separate process: prints one JSON line.

Run by `serve_load.py` (Locust patches the standard library with gevent on import, so it gets a
process of its own). `--concurrency` users (FastHttpUser, no wait between requests) post the
same inference body for `--seconds` after a short warm-up; the line holds requests/s, p50/p99
latency in ms (Locust's own percentiles), failures, and this generator's own CPU use in cores
(user + system time over the measured wall time).

    python benchmarks/locust_client.py --url http://127.0.0.1:8000/v2/models/M/infer \
        --body body.json [--binary-header 123] --concurrency 32 --seconds 20
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from urllib.parse import urlsplit

import gevent
from locust import FastHttpUser, constant, task
from locust.env import Environment

WARMUP_S = 2.0


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--body", required=True, help="file holding the request body")
    parser.add_argument(
        "--binary-header", type=int, help="Inference-Header-Content-Length, for a binary body"
    )
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    url = urlsplit(args.url)
    body = Path(args.body).read_bytes()
    headers = {"Content-Type": "application/json"}
    if args.binary_header is not None:
        headers = {
            "Content-Type": "application/octet-stream",
            "Inference-Header-Content-Length": str(args.binary_header),
        }

    class Client(FastHttpUser):
        host = f"{url.scheme}://{url.netloc}"
        wait_time = constant(0)

        @task
        def infer(self) -> None:
            self.client.post(url.path, data=body, headers=headers)

    env = Environment(user_classes=[Client])
    runner = env.create_local_runner()
    runner.start(args.concurrency, spawn_rate=args.concurrency)
    gevent.sleep(WARMUP_S)
    env.stats.reset_all()
    cpu, wall = cpu_seconds(), time.perf_counter()
    gevent.sleep(args.seconds)
    stats = env.stats.total
    out = {
        "concurrency": args.concurrency,
        "requests": stats.num_requests,
        "rps": stats.num_requests / (time.perf_counter() - wall),
        "p50_ms": stats.get_response_time_percentile(0.5),
        "p99_ms": stats.get_response_time_percentile(0.99),
        "failures": stats.num_failures,
        "generator_cpu_cores": (cpu_seconds() - cpu) / (time.perf_counter() - wall),
    }
    runner.quit()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()

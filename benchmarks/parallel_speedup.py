"""Speed-up of the MNIST-1D training search with 2 workers against 1, on this machine's cores:
serial, process pool and Ray, in one run.

Random search with one seed proposes the same architectures whatever the results, so every
executor trains exactly the same `--budget` architectures (the default search's space and
training: macro space, 5 epochs); only the wall time differs. Each executor's own start-up (the
pool's workers, the local Ray instance) is timed apart from the search.

    python benchmarks/parallel_speedup.py [--budget 24] [--repeats 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from nasforge.config import load_config
from nasforge.executors import make_executor
from nasforge.search import open_search

SETUPS = (("serial", 1), ("process", 2), ("ray", 2))


def timed_search(kind: str, workers: int, budget: int, folder: Path) -> tuple[float, float, float]:
    """(start-up seconds, search seconds, best valid accuracy) of one search."""
    options = {"strategy": {"name": "random"}, "budget": budget, "workers": workers, "final_epochs": 0}
    config = load_config(None, {**options, "executor": kind, "study": str(folder / f"{kind}.db")})
    study, evaluator = open_search(config)
    start = time.perf_counter()
    executor = make_executor(workers, kind)
    if kind != "serial":  # start the workers (and import torch in them) before the clock runs
        list(executor.submit(time.sleep, 0.1) for _ in range(workers))[-1].result()
    ready = time.perf_counter()
    study.optimize(evaluator, budget, executor=executor)
    elapsed = time.perf_counter() - ready
    executor.shutdown()
    best = study.best_trial
    study.close()
    return ready - start, elapsed, 0.0 if best is None else best.metrics["valid_accuracy"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {kind: [] for kind, _ in SETUPS}
    for repeat in range(args.repeats):
        for kind, workers in SETUPS:
            with tempfile.TemporaryDirectory() as tmp:
                startup, seconds, best = timed_search(kind, workers, args.budget, Path(tmp))
            timings[kind].append(seconds)
            print(
                f"repeat {repeat}: {kind:8} {workers} worker(s): start-up {startup:5.1f} s, "
                f"{args.budget} trials in {seconds:6.1f} s, best valid {best:.4f}",
                flush=True,
            )
    serial = min(timings["serial"])
    for kind, workers in SETUPS[1:]:
        print(f"speed-up, {kind} with {workers} workers against 1: {serial / min(timings[kind]):.2f}x")


if __name__ == "__main__":
    main()

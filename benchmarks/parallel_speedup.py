"""Speed-up of the MNIST-1D training search with 2 workers against 1, on this machine's cores:
serial, process pool and Ray, in one run.

Random search with one seed proposes the same architectures whatever the results, so every
executor trains exactly the same `--budget` architectures (the default search's space and
training: macro space, 5 epochs); only the wall time differs. One worker runs twice, with two
torch threads (all the cores, its default on an idle machine) and with one, and the faster is the
baseline; each of the two workers has one thread. Each
executor's own start-up (the pool's workers, the local Ray instance) is timed apart.

    python benchmarks/parallel_speedup.py [--budget 24] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from nasforge.execution.executors import make_executor
from nasforge.workflows.config import load_config
from nasforge.workflows.search import open_search

# (executor, workers, torch threads per trial: None = the default share of the cores, 1 each here)
SETUPS = (("serial", 1, 2), ("serial", 1, 1), ("process", 2, None), ("ray", 2, None))


def timed_search(
    kind: str, workers: int, threads: int | None, budget: int, folder: Path
) -> tuple[float, float, float, int]:
    """(start-up seconds, search seconds, best valid accuracy, threads per trial) of one search."""
    options = {"strategy": {"name": "random"}, "budget": budget, "workers": workers, "final_epochs": 0}
    if threads is not None:
        options["evaluator"] = {"threads": threads}
    config = load_config(None, {**options, "executor": kind, "study": str(folder / f"{kind}.db")})
    opened = open_search(config)
    study, evaluator = opened.study, opened.evaluator
    start = time.perf_counter()
    executor = make_executor(workers, kind)
    if kind != "serial":  # start the workers (and import torch in them) before the clock runs
        list(executor.submit(time.sleep, 0.1) for _ in range(workers))[-1].result()
    ready = time.perf_counter()
    study.optimize(evaluator, budget, executor=executor)
    elapsed = time.perf_counter() - ready
    executor.shutdown()
    time.sleep(5)  # let a stopped Ray instance's processes exit before the next measurement
    best = study.best_trial
    used = int(study.trials[0].metrics["threads"])
    study.close()
    return ready - start, elapsed, 0.0 if best is None else best.metrics["valid_accuracy"], used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    timings: dict[tuple[str, int | None], list[float]] = {(k, t): [] for k, _, t in SETUPS}
    for repeat in range(args.repeats):
        for kind, workers, threads in SETUPS:
            with tempfile.TemporaryDirectory() as tmp:
                startup, seconds, best, used = timed_search(kind, workers, threads, args.budget, Path(tmp))
            timings[(kind, threads)].append(seconds)
            print(
                f"repeat {repeat}: {kind:8} {workers} worker(s) x {used} thread(s): "
                f"start-up {startup:4.1f} s, "
                f"{args.budget} trials in {seconds:5.1f} s, best valid {best:.4f}",
                flush=True,
            )
    # the baseline: one worker as fast as it gets (median over repeats of the faster setting)
    serial = min(statistics.median(timings[("serial", t)]) for t in (2, 1))
    for kind in ("process", "ray"):
        speedup = serial / statistics.median(timings[(kind, None)])
        print(f"speed-up, {kind} with 2 workers against the faster serial setting: {speedup:.2f}x (median)")


if __name__ == "__main__":
    main()

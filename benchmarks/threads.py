"""One digits trial with the default thread count (the cores other processes leave free)
against two threads, on an idle machine and beside one other CPU-bound process; with its
stored latency.

    python benchmarks/threads.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import time

import numpy as np

from nasforge.evaluators import Hardware, Recipe, TrainingEvaluator
from nasforge.spaces import make_space


def spin(stop: mp.synchronize.Event) -> None:
    """A CPU-bound neighbour."""
    x = 0
    while not stop.is_set():
        x = (x * 31 + 7) % 1_000_003


def trial(threads: int | None, repeats: int) -> tuple[float, float, int]:
    space = make_space({"name": "macro", "max_blocks": 4})
    genotype = space.sample(np.random.default_rng(0))
    evaluator = TrainingEvaluator(data="digits", recipe=Recipe(epochs=5), hardware=Hardware(threads=threads))
    evaluator.dataset()  # loaded before timing
    seconds, latency = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        result = evaluator.evaluate(genotype, space)
        seconds.append(time.perf_counter() - start)
        latency.append(result.metrics["latency_sample_ms"])
    return statistics.median(seconds), statistics.median(latency), int(result.metrics["threads"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for busy in (False, True):
        stop = mp.Event()
        neighbour = mp.Process(target=spin, args=(stop,)) if busy else None
        if neighbour is not None:
            neighbour.start()
        try:
            for threads in (None, 2):
                seconds, latency, used = trial(threads, args.repeats)
                label = "default" if threads is None else f"threads={threads}"
                print(
                    f"{'busy' if busy else 'idle'} machine, {label} ({used} thread(s)): "
                    f"trial {seconds:.2f} s, stored latency {latency:.4f} ms/example "
                    f"(median of {args.repeats})"
                )
        finally:
            stop.set()
            if neighbour is not None:
                neighbour.join()


if __name__ == "__main__":
    main()

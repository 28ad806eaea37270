"""The final retraining side by side: the main job's five best retrained for 40 epochs on
train+valid, one after the other (each with the threads nasforge chooses, as before) against
side by side (`retrain_each`: one process of one thread per free core), on an idle machine and beside one
CPU-bound process. Wall time, workers and each model's test accuracy; the ratio is measured in
the same run. Side by side is what a search does: one after the other where no core is free.

    python benchmarks/parallel_retrain.py [--seed 3] [--trials 30] [--epochs 40]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from nasforge import Study
from nasforge.evaluators import make_evaluator
from nasforge.workflows.retrain import retrain_each, retrain_workers


def spin(stop: mp.synchronize.Event) -> None:
    """A CPU-bound neighbour."""
    x = 0
    while not stop.is_set():
        x = (x * 31 + 7) % 1_000_003


@contextlib.contextmanager
def neighbour(busy: bool) -> Iterator[None]:
    if not busy:
        yield
        return
    stop = mp.Event()
    process = mp.Process(target=spin, args=(stop,), daemon=True)
    process.start()
    time.sleep(1.0)
    try:
        yield
    finally:
        stop.set()
        process.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--trials", type=int, default=30, help="search trials before the retraining")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        searched = Path(scratch) / "searched.db"
        argv = [sys.executable, "-m", "nasforge.cli.main", "search", "--seed", str(args.seed)]
        argv += ["--budget", str(args.trials), "--final-epochs", "0", "--study", str(searched)]
        subprocess.run(argv, capture_output=True, check=True)
        for busy in (False, True):
            where = "beside one busy process" if busy else "idle"
            times = {}
            for way in ("one after the other", "side by side"):
                copy = Path(scratch) / f"{busy}-{way.replace(' ', '-')}.db"
                shutil.copy(searched, copy)
                study = Study.load(copy)
                evaluator = make_evaluator(study.config.evaluator)
                top = study.leaderboard(args.top)
                with neighbour(busy):
                    start = time.perf_counter()
                    if way == "side by side":  # as a search ends: one after the other where no core is free
                        workers = retrain_workers(study, evaluator, len(top))
                        results = retrain_each(study, evaluator, top, args.epochs, train_on_valid=True)
                    else:
                        workers = 1
                        results = [study.retrain(evaluator, t, args.epochs, train_on_valid=True) for t in top]
                    times[way] = time.perf_counter() - start
                study.close()
                accuracies = " ".join(f"{r.metrics['test_accuracy']:.3f}" for r in results)
                threads = sorted({int(r.metrics["threads"]) for r in results})
                print(
                    f"{where:24s} {way:20s}: {times[way]:6.1f} s, workers {workers}, threads {threads}, "
                    f"test accuracy {accuracies}",
                    flush=True,
                )
            ratio = times["side by side"] / times["one after the other"]
            print(f"{where:24s} side by side / one after the other: {ratio:.2f}x", flush=True)


if __name__ == "__main__":
    main()

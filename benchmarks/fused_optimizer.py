"""Adam's fused kernel against the loop over tensors, end to end: the wall time of the main job's
first trials and of a table's search (breast cancer, 5-fold cross-validation, no final
retraining), idle and beside one CPU-bound process, under each source tree given (the code
before the change and after it), one run at a time.

    git worktree add /tmp/before <commit before>   # then:
    python benchmarks/fused_optimizer.py --src /tmp/before/src src [--trials 10 --table-trials 30]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tabular import write_csv
from threads_per_run import Neighbour


def search_seconds(src: str, argv: list[str]) -> float:
    """Wall time of `nasforge search ARGV` with `src` first on the path."""
    command = [sys.executable, "-m", "nasforge.cli.main", "search", "--final-epochs", "0", *argv]
    start = time.perf_counter()
    subprocess.run(command, env={**os.environ, "PYTHONPATH": src}, capture_output=True, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", nargs="+", required=True, help="source trees (PYTHONPATH), baseline first")
    parser.add_argument("--trials", type=int, default=10, help="the main job's first trials")
    parser.add_argument("--table-trials", type=int, default=30, help="trials of the table's search")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        table = write_csv("breast_cancer", Path(scratch))
        jobs = {
            f"main job, first {args.trials} trials": ["--budget", str(args.trials), "--seed", "3"],
            f"breast cancer, {args.table_trials} trials": [
                *("--data", str(table), "--seed", "3", "--budget", str(args.table_trials))
            ],
        }
        for situation in ("idle", "beside one busy process"):
            with Neighbour() if situation != "idle" else contextlib.nullcontext():
                for job, argv in jobs.items():
                    seconds = []
                    for number, src in enumerate(args.src):
                        study = ["--study", f"{scratch}/{number}-{time.time_ns()}.db"]
                        seconds.append(search_seconds(src, [*argv, *study]))
                    ratios = ", ".join(f"{s:.1f} s ({s / seconds[0]:.2f}x)" for s in seconds)
                    print(f"{situation:24s} {job}: {ratios}", flush=True)


if __name__ == "__main__":
    main()

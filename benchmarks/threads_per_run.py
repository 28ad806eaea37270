"""Threads chosen per run: one training trial and the main job's first 10 trials, with
`--threads` left to nasforge (auto), 1 and 2, on an idle machine and beside one CPU-bound
process; then a study of 5 trials created on the idle machine and resumed for 5 more beside the
busy process. Wall time and the thread counts the trials ran with, for each source tree given.

    python benchmarks/threads_per_run.py [--src DIR ...] [--trials 10]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ONE_TRIAL = """
import time, numpy as np
from nasforge.evaluators import make_evaluator
from nasforge.spaces import make_space
space = make_space({"name": "macro", "max_blocks": 4})
evaluator = make_evaluator(dict(name="training", data="mnist1d", epochs=5, THREADS))
evaluator.dataset()
start = time.perf_counter()
result = evaluator.evaluate(space.sample(np.random.default_rng(0)), space)
print(time.perf_counter() - start, int(result.metrics["threads"]))
"""


def spin(stop: mp.synchronize.Event) -> None:
    """A CPU-bound neighbour."""
    x = 0
    while not stop.is_set():
        x = (x * 31 + 7) % 1_000_003


def one_trial(src: str | None, threads: int | None) -> str:
    code = ONE_TRIAL.replace("THREADS", f"threads={threads}" if threads else "")
    env = {**os.environ, **({"PYTHONPATH": src} if src else {})}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    seconds, used = out.stdout.split()
    return f"{float(seconds):6.1f} s (threads {used})"


def first_trials(src: str | None, threads: int | None, trials: int, study: Path) -> str:
    """Run the main job's search on `study` (created or resumed) up to `trials` trials."""
    env = {**os.environ, **({"PYTHONPATH": src} if src else {})}
    argv = [sys.executable, "-m", "nasforge.cli.main", "search", "--budget", str(trials)]
    argv += ["--final-epochs", "0", "--study", str(study), "--seed", "3"]
    argv += ["--threads", str(threads)] if threads else []
    start = time.perf_counter()
    subprocess.run(argv, env=env, capture_output=True, check=True)
    seconds = time.perf_counter() - start
    with sqlite3.connect(study) as db:
        rows = db.execute("SELECT value FROM metrics WHERE name = 'threads' AND step < 0").fetchall()
        stored = json.loads(db.execute("SELECT config FROM study").fetchone()[0])["evaluator"]["threads"]
    used = dict(Counter(int(v) for (v,) in rows))
    return f"{seconds:6.1f} s (trials by threads {used}; stored threads {stored})"


class Neighbour:
    """One CPU-bound process beside the benchmark while the block runs."""

    def __enter__(self) -> None:
        self.stop = mp.Event()
        self.process = mp.Process(target=spin, args=(self.stop,))
        self.process.start()
        time.sleep(1.0)

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.process.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", nargs="*", default=[None], help="source trees to compare (PYTHONPATH)")
    parser.add_argument("--trials", type=int, default=10)
    args = parser.parse_args()
    for situation in ("idle", "beside one busy process"):
        with Neighbour() if situation != "idle" else contextlib.nullcontext():
            for src in args.src:
                for threads in (None, 1, 2):
                    label = f"{situation:24s} {src or 'installed'} threads={threads or 'auto'}"
                    print(f"{label}: one trial {one_trial(src, threads)}", flush=True)
                    with tempfile.TemporaryDirectory() as scratch:
                        ran = first_trials(src, threads, args.trials, Path(scratch) / "s.db")
                    print(f"{label}: first {args.trials} trials {ran}", flush=True)
    half = args.trials // 2
    for src in args.src:
        for threads in (None, 1, 2):
            with tempfile.TemporaryDirectory() as scratch:
                study = Path(scratch) / "s.db"
                first_trials(src, threads, half, study)  # created on the idle machine
                with Neighbour():
                    resumed = first_trials(src, threads, args.trials, study)
            label = f"{src or 'installed'} threads={threads or 'auto'}"
            print(
                f"created idle, resumed busy {label}: trials {half + 1}-{args.trials} {resumed}", flush=True
            )


if __name__ == "__main__":
    main()

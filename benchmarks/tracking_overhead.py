"""What each tracking integration costs per trial, on the NB201 table search (a trial there is a
table lookup of well under a millisecond, so the difference is the integration alone): the same
seeded random search of `--budget` trials without tracking, with `MLflowCallback` (a local
SQLite store), with `TensorBoardCallback`, and `export_to_optuna` of the finished study;
`--repeats` runs of each, alternated, the median reported. The one-time setup (opening or
creating the store, its parent run) is timed apart from the search.

    python benchmarks/tracking_overhead.py --budget 100 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import nasforge
from nasforge.tracking import MLflowCallback, TensorBoardCallback, export_to_optuna


def search(
    folder: Path, budget: int, callback: Callable[[Path], object] | None
) -> tuple[float, float, nasforge.Study]:
    """Setup seconds, search seconds, and the study."""
    study = nasforge.Study.create(nasforge.NB201Space(), "random", seed=0, path=folder / "s.db")
    evaluator = nasforge.TabularEvaluator()
    start = time.perf_counter()
    made = None if callback is None else callback(folder)
    if made is not None:
        made.sync(study)  # type: ignore[attr-defined]  # opens the store before any trial
    setup = time.perf_counter() - start
    start = time.perf_counter()
    study.optimize(evaluator, budget, callback=made)  # type: ignore[arg-type]
    return setup, time.perf_counter() - start, study


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ways: dict[str, Callable[[Path], object] | None] = {
        "none": None,
        "mlflow": lambda folder: MLflowCallback(f"sqlite:///{folder / 'mlflow.db'}"),
        "tensorboard": lambda folder: TensorBoardCallback(folder / "tb"),
    }
    seconds: dict[str, list[float]] = {name: [] for name in [*ways, "optuna export"]}
    setups: dict[str, list[float]] = {name: [] for name in seconds}
    for _ in range(args.repeats):
        for name, callback in ways.items():
            with tempfile.TemporaryDirectory() as scratch:
                setup, took, study = search(Path(scratch), args.budget, callback)
                seconds[name].append(took)
                setups[name].append(setup)
                if name == "none":
                    start = time.perf_counter()
                    export_to_optuna(study, f"sqlite:///{Path(scratch) / 'optuna.db'}")
                    seconds["optuna export"].append(time.perf_counter() - start)
                    setups["optuna export"].append(0.0)
                study.close()
    base = statistics.median(seconds["none"])
    print(f"NB201 table search, random, budget {args.budget}, {args.repeats} repeats (median)")
    print("| integration | setup s (once) | search s | ms per trial | overhead ms per trial |")
    print("|---|---:|---:|---:|---:|")
    for name, runs in seconds.items():
        took, setup = statistics.median(runs), statistics.median(setups[name])
        extra = took if name == "optuna export" else took - base
        print(
            f"| {name} | {setup:.2f} | {took:.2f} | {1e3 * took / args.budget:.1f} | "
            f"{1e3 * extra / args.budget:.1f} |"
        )
    print("(optuna export: the whole export of the finished study, storage creation included)")


if __name__ == "__main__":
    main()

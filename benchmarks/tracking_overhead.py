"""What each tracking integration costs per trial, on the NB201 table search (a trial there is a
table lookup of about a millisecond, so the difference is the integration alone): the same
seeded random search of `--budget` trials without tracking, with `MLflowCallback` (a local
SQLite store), with `TensorBoardCallback`, and `export_to_optuna` of the finished study;
`--repeats` runs of each, alternated, the median reported.

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
) -> tuple[float, nasforge.Study]:
    study = nasforge.Study.create(nasforge.NB201Space(), "random", seed=0, path=folder / "s.db")
    evaluator = nasforge.TabularEvaluator()
    made = None if callback is None else callback(folder)
    start = time.perf_counter()
    study.optimize(evaluator, budget, callback=made)  # type: ignore[arg-type]
    return time.perf_counter() - start, study


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
    for _ in range(args.repeats):
        for name, callback in ways.items():
            with tempfile.TemporaryDirectory() as scratch:
                took, study = search(Path(scratch), args.budget, callback)
                seconds[name].append(took)
                if name == "none":
                    start = time.perf_counter()
                    export_to_optuna(study, f"sqlite:///{Path(scratch) / 'optuna.db'}")
                    seconds["optuna export"].append(time.perf_counter() - start)
                study.close()
    base = statistics.median(seconds["none"])
    print(f"NB201 table search, random, budget {args.budget}, {args.repeats} repeats (median)")
    print("| integration | search s | ms per trial | overhead ms per trial |")
    print("|---|---:|---:|---:|")
    for name, runs in seconds.items():
        took = statistics.median(runs)
        extra = took if name == "optuna export" else took - base
        whole = "—" if name == "optuna export" else f"{took:.2f}"
        per_trial = 1e3 * took / args.budget
        print(f"| {name} | {whole} | {per_trial:.1f} | {1e3 * extra / args.budget:.1f} |")


if __name__ == "__main__":
    main()

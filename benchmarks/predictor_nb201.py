"""Predictor-based search on the NAS-Bench-201 CIFAR-10 table, beside local search, regularized
evolution, NSGA-II (single objective) and TPE, noiseless and noisy, in one run.

Every method gets the same runs and budgets; each search picks its architecture by `valid` and is
scored by that architecture's mean `test` (looked up once, after the search). Noiseless: `valid`
is the mean over the table's training seeds; noisy (`--noisy` in `nasforge bench`): each query
draws one training seed's `valid`, as a real training would. `tpe` is Optuna's TPESampler driven
through nasforge (no architecture evaluated twice); `optuna-tpe` is Optuna's own loop, repeats
included, and `optuna-tpe-distinct` the same loop with repeats answered from the earlier result
and not counted. BANANAS' predictor is an ensemble of 5 MLPs fitted in torch (one batched network);
its candidates are the best architecture's unvisited neighbours and 10 two changes away.
Targets: at 50 queries bananas at or above local search in both modes, and <= 1 s per 50-query
run (timed separately, 20 runs).

    python benchmarks/predictor_nb201.py [--runs 100] [--budgets 25 50 100]
"""

from __future__ import annotations

import argparse
import time

from nb201_vs_optuna import optuna_bench

from nasforge.workflows.bench import bench_nb201

METHODS = ("bananas", "tpe", "local", "evolution", "nsga2", "random")


def rows(args: argparse.Namespace) -> dict[tuple[str, str, int], float]:
    """Run every method in both modes, print a markdown row per budget; the mean tests."""
    results = {}
    for noisy in (False, True):
        mode = "noisy" if noisy else "noiseless"
        for method in [*args.methods, "optuna-tpe", "optuna-tpe-distinct"]:
            start = time.perf_counter()
            if method.startswith("optuna"):
                summaries = optuna_bench(method, args.budgets, args.runs, args.seed, noisy=noisy)
            else:
                summaries = bench_nb201(method, args.budgets, runs=args.runs, seed=args.seed, noisy=noisy)
            per_run = (time.perf_counter() - start) / args.runs
            for s in summaries:
                results[(mode, method, s.budget)] = s.mean_test
                print(
                    f"| {mode} | {method} | {s.budget} | {s.mean_test:.2f} ± {s.std_test:.2f} | "
                    f"{s.found_best:.0%} | {per_run:.2f} |",
                    flush=True,
                )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--budgets", type=int, nargs="+", default=[25, 50, 100])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    args = parser.parse_args()
    print(f"| mode | method | budget | mean test ± std | found best | s / run |  ({args.runs} runs)")
    print("|---|---|---:|---:|---:|---:|")
    results = rows(args)
    print()
    for mode in ("noiseless", "noisy"):
        if (mode, "bananas", 50) in results and (mode, "local", 50) in results:
            ahead = results[(mode, "bananas", 50)] - results[(mode, "local", 50)]
            print(f"bananas minus local search at 50 queries, {mode}: {ahead:+.2f} (target >= 0)")
    start = time.perf_counter()
    bench_nb201("bananas", [50], runs=20, seed=args.seed)
    print(f"bananas: {(time.perf_counter() - start) / 20:.2f} s per 50-query run (target <= 1)")


if __name__ == "__main__":
    main()

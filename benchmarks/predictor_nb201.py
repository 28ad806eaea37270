"""Predictor-based search on the NAS-Bench-201 CIFAR-10 table, beside local search, regularized
evolution, NSGA-II (single objective) and TPE, noiseless and noisy, in one run.

Every method gets the same runs and budgets; each search picks its architecture by `valid` and is
scored by that architecture's mean `test` (looked up once, after the search). Noiseless: `valid`
is the mean over the table's training seeds; noisy (`--noisy` in `nasforge bench`): each query
draws one training seed's `valid`, as a real training would. `tpe` is Optuna's TPESampler driven
through nasforge (no architecture evaluated twice); `optuna-tpe` is Optuna's own loop, repeats
included, and `optuna-tpe-distinct` the same loop with repeats answered from the earlier result
and not counted. Targets: bananas >= 94.30 at 50 queries (noiseless), and ahead of TPE in noisy mode at
50 and 100 queries.

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
    if ("noiseless", "bananas", 50) in results:
        value = results[("noiseless", "bananas", 50)]
        print(f"\nbananas at 50 queries, noiseless: {value:.2f} (target >= 94.30)")
    for budget in (50, 100):
        for tpe in ("tpe", "optuna-tpe", "optuna-tpe-distinct"):
            if ("noisy", "bananas", budget) in results and ("noisy", tpe, budget) in results:
                ahead = results[("noisy", "bananas", budget)] - results[("noisy", tpe, budget)]
                print(f"bananas minus {tpe} at {budget} queries, noisy: {ahead:+.2f} (target > 0)")


if __name__ == "__main__":
    main()

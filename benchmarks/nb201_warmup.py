"""Every strategy on the NAS-Bench-201 CIFAR-10 table at 25/50/100 queries, with and without the
zero-cost warm-up, noiseless, 100 runs.

The warm-up scores `--candidates` distinct random cells by synflow (shipped with the table, so it
queries nothing and builds no network) and serves the `--keep` best first; a run's candidates are
drawn with its seed. Each search picks its architecture by `valid` and is scored by that
architecture's mean `test`, looked up once. Seconds per run include the warm-up.

    python benchmarks/nb201_warmup.py [--seed 0] [--runs 100] [--keep 10] [--strategies local ...]
"""

from __future__ import annotations

import argparse

from nasforge.workflows.bench import bench_nb201
from nasforge.workflows.config import WarmupConfig

STRATEGIES = ("local", "evolution", "bananas", "tpe", "nsga2", "annealing", "genetic", "random")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the first run (run r uses seed+r)")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--budgets", type=int, nargs="+", default=[25, 50, 100])
    parser.add_argument("--candidates", type=int, default=3000)
    parser.add_argument("--keep", type=int, nargs="+", default=[10], help="warm-up sizes to try")
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES))
    parser.add_argument("--no-baseline", action="store_true", help="only the warm-up rows")
    args = parser.parse_args()
    last = args.seed + args.runs - 1
    print(f"runs {args.seed}-{last}, noiseless, synflow over {args.candidates:,} candidates")
    print("| strategy | warm-up keep | queries | mean test ± std | found best | s / run |")
    print("|---|---:|---:|---:|---:|---:|")
    for strategy in args.strategies:
        for keep in ([] if args.no_baseline else [0]) + args.keep:
            warmup = WarmupConfig(candidates=args.candidates, keep=keep) if keep else None
            for s in bench_nb201(strategy, args.budgets, runs=args.runs, seed=args.seed, warmup=warmup):
                print(
                    f"| {strategy} | {keep or '-'} | {s.budget} | {s.mean_test:.2f} ± {s.std_test:.2f} "
                    f"| {s.found_best:.0%} | {s.sec_per_run:.3f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()

"""`nasforge bench nb201`: repeated searches on the NAS-Bench-201 table."""

from __future__ import annotations

import argparse

from nasforge.cli.common import add_param_option, int_at_least, parse_params, print_json, stderr, stdout
from nasforge.strategies import STRATEGIES

NB201_CLASSES = 6_466  # distinct NB201 architectures up to isomorphism


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    bench = sub.add_parser("bench", help="benchmark a strategy on a tabular benchmark")
    targets = bench.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
    parser = targets.add_parser(
        "nb201",
        help="R independent searches of N queries on the NAS-Bench-201 table",
        description="Runs R independent searches of N distinct queries each on the NAS-Bench-201 "
        "table; reports the mean ± std test accuracy of the architecture picked by the search "
        "metric, the share of runs that found the table's best, and the mean simulated cost.",
    )
    parser.add_argument("--strategy", default="evolution", help=f"one of {', '.join(STRATEGIES.names())}")
    add_param_option(parser)
    parser.add_argument(
        "--budget", type=int_at_least(1), default=100, help="queries per search (default 100)"
    )
    parser.add_argument(
        "--runs", type=int_at_least(1), default=100, help="independent searches (default 100)"
    )
    parser.add_argument(
        "--seed", type=int_at_least(0), default=0, help="seed of the first run (run r uses seed+r)"
    )
    parser.add_argument("--table", help="CSV(.gz) with NB201 columns (default: the shipped CIFAR-10 table)")
    parser.add_argument("--metric", choices=("valid", "valid_12"), default="valid", help="search metric")
    parser.add_argument("--noisy", action="store_true", help="draw one training seed's valid per query")
    parser.add_argument("--seed-table", help="per-seed table for --noisy with a custom --table")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from nasforge.bench import bench_nb201

    if args.budget > NB201_CLASSES:
        stderr.print(
            f"warning: --budget {args.budget} is more than the {NB201_CLASSES:,} distinct NB201 "
            "architectures; each search stops when the space is exhausted"
        )
    quiet = args.json or not stderr.is_terminal

    def advance(run: int) -> None:
        progress.advance(task)
        if quiet and not args.json:  # a line per run where no bar is shown
            stderr.print(f"{args.strategy}: run {run + 1}/{args.runs} done")

    with Progress(console=stderr, transient=True, disable=quiet) as progress:
        task = progress.add_task(f"{args.strategy}: runs", total=args.runs)
        (summary,) = bench_nb201(
            args.strategy,
            [args.budget],
            runs=args.runs,
            seed=args.seed,
            table=args.table,
            noisy=args.noisy,
            seed_table=args.seed_table,
            metric=args.metric,
            strategy_params=parse_params(args.param),
            on_run=advance,
        )
    if args.json:
        print_json(summary.to_dict())
        return 0
    stdout.print(
        f"{summary.strategy}: budget {summary.budget}, {summary.runs} runs\n"
        f"  test of the picked architecture: {summary.mean_test:.2f} ± {summary.std_test:.2f}\n"
        f"  runs that found the table's best: {summary.found_best:.0%}\n"
        f"  mean simulated cost: {summary.mean_cost_s:,.0f} s\n"
        f"  wall time per run: {summary.sec_per_run:.3f} s"
    )
    return 0

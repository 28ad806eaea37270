"""`nasforge bench nb201`: repeated searches on the NAS-Bench-201 table."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from nasforge.cli.common import add_param_option, int_at_least, parse_params, print_json, stderr, stdout
from nasforge.cli.progress import Display
from nasforge.cli.search_options import add_warmup_options, warmup_section
from nasforge.errors import InvalidArgumentError
from nasforge.strategies import STRATEGIES
from nasforge.workflows.config import TABLE_STRATEGY, TABLE_WARMUP, WarmupConfig

if TYPE_CHECKING:
    from rich.progress import TaskID

NB201_CLASSES = 6_466  # distinct NB201 architectures up to isomorphism


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    bench = sub.add_parser("bench", help="benchmark a strategy on a tabular benchmark")
    targets = bench.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
    parser = targets.add_parser(
        "nb201",
        help="R independent searches of N queries on the NAS-Bench-201 table",
        description="Runs R independent searches of N distinct queries each on the NAS-Bench-201 "
        "table, noiseless and noisy; reports the mean ± std test accuracy of the architecture "
        "picked by the search metric, the share of runs that found the table's best, and the "
        "mean simulated cost.",
    )
    parser.add_argument(
        "--strategy",
        default=TABLE_STRATEGY["name"],
        help=f"one of {', '.join(STRATEGIES.names())} (default {TABLE_STRATEGY['name']}, as search --table)",
    )
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
    parser.add_argument(
        "--mode",
        choices=("both", "noiseless", "noisy"),
        default="both",
        help="noiseless: valid is the mean over training seeds; noisy: one seed's valid per query, "
        "as a real training gives (default both, where the table has per-seed results)",
    )
    parser.add_argument("--noisy", action="store_true", help="the same as --mode noisy")
    parser.add_argument("--seed-table", help="per-seed table for --noisy with a custom --table")
    add_warmup_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nasforge.workflows.bench import bench_nb201

    if args.budget > NB201_CLASSES:
        stderr.print(
            f"warning: --budget {args.budget} is more than the {NB201_CLASSES:,} distinct NB201 "
            "architectures; each search stops when the space is exhausted"
        )
    modes = _modes(args)
    section = warmup_section(args)  # the shipped table's default is search --table's (looked up)
    default = TABLE_WARMUP if args.table is None else {}
    given = section if isinstance(section, dict) else {}
    warmup = None if section is False or not (given or default) else WarmupConfig(**{**default, **given})
    display = Display(args)
    results = {}
    with display.progress(transient=True) as progress:
        for mode in modes:
            task = progress.add_task(f"{args.strategy} ({mode}): runs", total=args.runs)

            def advance(run: int, mode: str = mode, task: TaskID = task) -> None:
                progress.advance(task)
                display.line(f"{args.strategy} ({mode}): run {run + 1}/{args.runs} done")

            (results[mode],) = bench_nb201(
                args.strategy,
                [args.budget],
                runs=args.runs,
                seed=args.seed,
                table=args.table,
                noisy=mode == "noisy",
                seed_table=args.seed_table,
                metric=args.metric,
                strategy_params=parse_params(args.param),
                warmup=warmup,
                on_run=advance,
            )
    if modes == ["noiseless"] and args.mode == "both" and not args.noisy:
        print(
            "note: noiseless only (per-seed results exist for the NB201 table's 200-epoch valid)",
            file=sys.stderr,
        )
    if args.json:
        print_json({mode: summary.to_dict() for mode, summary in results.items()})
        return 0
    for mode, summary in results.items():
        stdout.print(
            f"{summary.strategy} ({mode}): budget {summary.budget}, {summary.runs} runs\n"
            f"  test of the picked architecture: {summary.mean_test:.2f} ± {summary.std_test:.2f}\n"
            f"  runs that found the table's best: {summary.found_best:.0%}\n"
            f"  mean simulated cost: {summary.mean_cost_s:,.0f} s\n"
            f"  wall time per run: {summary.sec_per_run:.3f} s"
        )
    return 0


def _modes(args: argparse.Namespace) -> list[str]:
    """The modes to run: noisy needs per-seed results, which exist for 200-epoch `valid` only."""
    mode = "noisy" if args.noisy else args.mode
    seeds = args.table is None or args.seed_table is not None
    if mode == "noisy" and args.metric == "valid_12":
        raise InvalidArgumentError("--mode noisy needs --metric valid (per-seed results are 200-epoch ones)")
    if mode == "both" and (args.metric == "valid_12" or not seeds):
        return ["noiseless"]
    return ["noiseless", "noisy"] if mode == "both" else [mode]

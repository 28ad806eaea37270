"""`nasforge proxies nb201`: zero-cost proxies on NB201 networks against the benchmark table."""

from __future__ import annotations

import argparse

from nasforge.cli.common import int_at_least, print_json, stdout
from nasforge.cli.progress import Display

DEFAULT_PROXIES = "params,flops,synflow,snip,grad_norm,naswot"
# Listed here for --help without importing torch; tests check it against the registry.
PROXY_NAMES = (
    "params",
    "flops",
    "synflow",
    "snip",
    "grasp",
    "fisher",
    "grad_norm",
    "jacob_cov",
    "naswot",
    "zen",
    "vote",
    "mean_rank",
)


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    proxies = sub.add_parser("proxies", help="zero-cost proxies against a tabular benchmark")
    targets = proxies.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
    parser = targets.add_parser(
        "nb201",
        help="score a seeded sample of NB201 cells with proxies; rank correlations with the table",
        description="Builds the NB201 CIFAR-10 networks (C=16, N=5, 3x32x32 input) of a seeded sample "
        "of cells, computes each proxy on the freshly initialised network, and prints each proxy's "
        "Spearman rho and Kendall tau against the table's test and valid accuracy, with the time per "
        f"architecture. Proxies: {', '.join(PROXY_NAMES)}.",
    )
    parser.add_argument("--sample", type=int_at_least(3), default=100, help="cells to score (default 100)")
    parser.add_argument(
        "--proxies", default=DEFAULT_PROXIES, help=f"comma-separated (default {DEFAULT_PROXIES})"
    )
    parser.add_argument("--seed", type=int_at_least(0), default=0, help="seeds the sample, weights and batch")
    parser.add_argument("--table", help="NB201-style CSV(.gz) table (default: the shipped CIFAR-10 table)")
    parser.add_argument(
        "--num-classes", type=int_at_least(2), default=10, help="classifier outputs (default 10)"
    )
    parser.add_argument(
        "--data",
        default="gaussian",
        help="batch for data-dependent proxies: gaussian (default) or a dataset name",
    )
    parser.add_argument("--batch-size", type=int_at_least(2), default=64, help="batch size (default 64)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rich.table import Table

    from nasforge.analysis.proxies_nb201 import score_nb201

    names = tuple(n.strip() for n in args.proxies.split(",") if n.strip())
    with Display(args).progress(transient=True) as progress:
        task = progress.add_task("architectures", total=args.sample)
        result = score_nb201(
            args.sample,
            names,
            seed=args.seed,
            table=args.table,
            num_classes=args.num_classes,
            data=args.data,
            batch_size=args.batch_size,
            on_arch=lambda _: progress.advance(task),
        )
    correlations = result.correlations()
    if args.json:
        print_json({"sample": len(result.archs), "data": result.data, "proxies": correlations})
        return 0
    table = Table(title=f"{len(result.archs)} NB201 cells, batch: {result.data}")
    for column in ("proxy", "ρ test", "τ test", "ρ valid", "τ valid", "s / arch"):
        table.add_column(column, justify="right" if column != "proxy" else "left")
    for name, c in correlations.items():
        values = [c["spearman_test"], c["kendall_test"], c["spearman_valid"], c["kendall_valid"]]
        table.add_row(name, *(f"{v:.3f}" for v in values), f"{c['sec_per_arch']:.3f}")
    stdout.print(table)
    return 0

"""`nasforge analyze`: how well the study's zero-cost proxies predicted its trained results."""

from __future__ import annotations

import argparse

from nasforge.cli.common import print_json, stdout
from nasforge.view import StudyView

HEADLINE = ("valid_accuracy", "test_accuracy", "valid", "test")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "analyze",
        help="rank correlations between a study's proxies and its trained metrics",
        description="For a study whose trials carry zero-cost proxies (the training evaluator's "
        '`proxies` option, e.g. `[evaluator] proxies = ["synflow", "naswot"]` in a config) and '
        "trained metrics, prints Spearman rho and Kendall tau between every proxy and every "
        "valid_*/test_* metric.",
    )
    parser.add_argument("--study", required=True, help="study file")
    parser.add_argument("--all", action="store_true", help="every trained metric, not only the accuracies")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rich.table import Table

    from nasforge.analysis.fidelity import fidelity_correlations

    with StudyView(args.study) as view:
        result = fidelity_correlations(view)
    if args.json:
        print_json(result)
        return 0
    if not result:
        stdout.print("no zero-cost proxy metrics in this study (see the training evaluator's `proxies`)")
        return 0
    table = Table(title="proxy vs trained: Spearman ρ / Kendall τ (n trials)")
    for column in ("proxy", "metric", "ρ", "τ", "n"):
        table.add_column(column, justify="left" if column in ("proxy", "metric") else "right")
    for proxy, metrics in result.items():
        for metric, c in metrics.items():
            if args.all or metric in HEADLINE:
                table.add_row(proxy, metric, f"{c['spearman']:.3f}", f"{c['kendall']:.3f}", str(c["n"]))
    stdout.print(table)
    return 0

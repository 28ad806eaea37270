"""`nasforge analyze`: theory against practice for a stored study, and what to change next."""

from __future__ import annotations

import argparse
from typing import Any

from nasforge.cli.common import print_json, stdout

HEADLINE = ("valid_accuracy", "test_accuracy", "valid", "test")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "analyze",
        help="diagnose a study: proxies vs training, knob importance, Pareto fronts, directions",
        description="Reads a study file (never runs it) and prints: Spearman rho and Kendall tau between "
        "every training-free measure (zero-cost proxies, params, FLOPs, memory, latency) and every trained "
        "metric, with the trials they disagree on most; each knob's importance for the objective "
        "(random-forest grouped permutation importance), its best value and whether the best trials sit "
        "at the edge of its range; the Pareto front of the objective against latency, parameters and "
        "memory with hypervolume; and directions, each with the evidence that triggered it.",
    )
    parser.add_argument("study", nargs="?", help="study file")
    parser.add_argument("--study", dest="study_option", help=argparse.SUPPRESS)
    parser.add_argument("--all", action="store_true", help="every trained metric, not only the accuracies")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from nasforge.analysis.diagnosis import diagnose
    from nasforge.errors import InvalidArgumentError
    from nasforge.study.record import StudyView

    path = args.study or args.study_option
    if path is None:
        raise InvalidArgumentError("analyze needs a study file: nasforge analyze STUDY")
    with StudyView(path) as view:
        result = diagnose(view)
    if args.json:
        print_json(result)
    else:
        show(result, args.all)
    return 0


def show(result: dict[str, Any], every_metric: bool) -> None:

    study = result["study"]
    stdout.print(
        f"{study['path']}: {study['complete']} complete of {study['trials']} trials; "
        f"best trial {study['best_trial']} ({study['objective']} {study['best_value']})"
    )
    _correlations(result, every_metric)
    _disagreements(result, every_metric)
    _importance(result)
    for front in result["pareto"]:
        points = ", ".join(f"#{p['trial']}" for p in front["front"])
        stdout.print(
            f"Pareto front of {front['objective']} against {front['metric']}: {points}; "
            f"hypervolume {front['hypervolume']:.4g} from reference {front['reference']}"
        )
    if not result["directions"]:
        stdout.print("directions: none (no evidence in this study clears its noise threshold)")
    for i, d in enumerate(result["directions"], 1):
        stdout.print(f"direction {i} ({d['kind']}, confidence {d['confidence']:.2f}): {d['advice']}")
        stdout.print(f"  evidence: {d['evidence']}")


def _correlations(result: dict[str, Any], every_metric: bool) -> None:
    from rich.table import Table

    table = Table(title="training-free vs trained: Spearman ρ / Kendall τ (n trials)", box=None)
    for column in ("measure", "metric", "ρ", "τ", "n"):
        table.add_column(column, justify="left" if column in ("measure", "metric") else "right")
    for measure, metrics in result["correlations"].items():
        for metric, c in metrics.items():
            if every_metric or metric in HEADLINE:
                table.add_row(measure, metric, f"{c['spearman']:.3f}", f"{c['kendall']:.3f}", str(c["n"]))
    if table.row_count:
        stdout.print(table)


def _disagreements(result: dict[str, Any], every_measure: bool) -> None:
    """The trials each training-free measure ranks far from where training put them (ranks as
    fractions, 1 = best); with --all for every measure, else for the first."""
    shown = list(result["disagreements"].items())
    for measure, found in shown if every_measure else shown[:1]:
        for kind, rows in found.items():
            if rows:
                listed = ", ".join(
                    f"#{r['trial']} ({measure} {r['theory_rank']:.2f}, trained {r['trained_rank']:.2f})"
                    for r in rows
                )
                stdout.print(f"{measure} {kind} most: {listed}")


def _importance(result: dict[str, Any]) -> None:
    from rich.table import Table

    importance = result["importance"]
    if importance["knobs"]:
        objective = result["study"]["objective"]
        table = Table(title=f"knob importance for {objective} (R² {importance['r2']:.2f})", box=None)
        for column in ("knob", "importance", "±", "best value"):
            table.add_column(column, justify="left" if column == "knob" else "right")
        for k in importance["knobs"]:
            table.add_row(k["knob"], f"{k['importance']:.4f}", f"{k['std']:.4f}", str(k["best_value"]))
        stdout.print(table)
        stdout.print(f"  method: {importance['method']}")
    else:
        stdout.print(f"knob importance: not computed ({importance['note']})")

"""`nasforge leaderboard` and `nasforge trials`: read a stored study."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.table import Table

from nasforge.cli.common import int_at_least, print_json, stdout
from nasforge.reporting import to_csv, trial_rows
from nasforge.study import Study

# Metrics shown beside the objective when the trials have them, with their column headers.
SHOWN_METRICS = {
    "test": "test",
    "test_accuracy": "test acc",
    "params": "params",
    "flops": "FLOPs",
    "latency_sample_ms": "ms/sample",
    "train_time_s": "train s",
    "train_seconds": "train s",
}


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    board = sub.add_parser("leaderboard", help="the best trials of a stored study")
    board.add_argument("--study", required=True, help="study file")
    board.add_argument("--top", type=int_at_least(1), default=10, help="rows (default 10)")
    board.add_argument("--json", action="store_true", help="print JSON")
    board.set_defaults(run=run_leaderboard)

    trials = sub.add_parser("trials", help="export every trial of a stored study as CSV or JSON")
    trials.add_argument("--study", required=True, help="study file")
    trials.add_argument("--format", choices=("csv", "json"), default="csv", help="default csv")
    trials.add_argument("--output", help="write to this file instead of standard output")
    trials.set_defaults(run=run_trials)


def summary(study: Study, path: Path, top: int) -> dict[str, Any]:
    """The outcome of a study as JSON-ready data."""
    best = study.best_trial
    return {
        "study": str(path),
        "objective": study.objective,
        "direction": study.direction,
        "finished": study.n_finished,
        "failed": sum(t.reason is not None for t in study.trials),
        "best": None if best is None else trial_rows(study, [best])[0],
        "leaderboard": trial_rows(study, study.leaderboard(top)),
        "retrains": study.storage.load_retrains(),
    }


def leaderboard_table(study: Study, top: int) -> Table:
    """A rich table of the `top` best trials (architectures: `nasforge trials`)."""
    table = Table(title=f"leaderboard ({study.objective}, {study.direction})")
    board = study.leaderboard(top)
    present = set(board[0].metrics) if board else set()
    metrics = [study.objective] + [m for m in SHOWN_METRICS if m != study.objective and m in present]
    for column in ("#", "trial", *(SHOWN_METRICS.get(m, m) for m in metrics)):
        table.add_column(column, justify="right", no_wrap=True)
    for rank, trial in enumerate(board, start=1):
        table.add_row(str(rank), str(trial.number), *(_fmt(trial.metrics.get(m)) for m in metrics))
    return table


def run_leaderboard(args: argparse.Namespace) -> int:
    study = Study.load(args.study)
    try:
        if args.json:
            print_json(summary(study, Path(args.study), args.top))
        else:
            stdout.print(leaderboard_table(study, args.top))
            if study.best_trial is not None:
                stdout.print(
                    f"best architecture: {study.space.format(study.best_trial.genotype)}", soft_wrap=True
                )
    finally:
        study.close()
    return 0


def run_trials(args: argparse.Namespace) -> int:
    study = Study.load(args.study)
    try:
        rows = trial_rows(study)
    finally:
        study.close()
    text = to_csv(rows) if args.format == "csv" else json.dumps(rows, indent=2) + "\n"
    if args.output:
        Path(args.output).write_text(text)
    else:
        print(text, end="")
    return 0


def _fmt(value: float | None) -> str:
    """Compact numbers: 0.9725, 93.68, 18.6k, 1.25M."""
    if value is None:
        return "-"
    for threshold, unit, suffix in ((1e9, 1e9, "G"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(value) >= threshold:
            return f"{value / unit:.3g}{suffix}"
    return f"{value:.4g}"

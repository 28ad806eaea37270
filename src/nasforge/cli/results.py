"""`nasforge leaderboard` and `nasforge trials`: read a stored study (never modifying it)."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from nasforge.cli.common import finite, int_at_least, print_json, stdout, write_output
from nasforge.objectives import from_supernet
from nasforge.study.picks import pick_summary
from nasforge.study.record import StudyRecord, StudyView
from nasforge.study.trial_rows import curve_rows, to_csv, trial_rows
from nasforge.trial import Retrain, TrialState
from nasforge.workflows.baselines import reference_baselines

# Metrics shown beside the objectives when the trials have them, with their column headers.
SHOWN_METRICS = {
    "test": "test",
    "test_accuracy": "test acc",
    "test_r2": "test R²",
    "params": "params",
    "flops": "FLOPs",
    "latency_sample_ms": "ms/sample",
    "train_time_s": "train s",
    "train_seconds": "train s",
}


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    board = sub.add_parser(
        "leaderboard",
        help="the best trials of a stored study",
        description="The best COMPLETE trials (feasible first), the best architecture and its retraining. "
        "Reads the study file without changing it, even while a search runs.",
    )
    board.add_argument("--study", required=True, help="study file")
    board.add_argument("--top", type=int_at_least(1), default=10, help="rows (default 10)")
    board.add_argument("--json", action="store_true", help="print JSON")
    board.set_defaults(run=run_leaderboard)

    trials = sub.add_parser(
        "trials",
        help="export every trial (or the per-epoch curves) of a stored study as CSV or JSON",
        description="One row per trial: number, state, architecture, objectives, feasibility, cost, "
        "start and end times, and every metric. With --curves: the per-step series in long form "
        "(trial, name, step, value): losses and accuracies per epoch, weight and bias L2 norms, "
        "and every timed inference.",
    )
    trials.add_argument("--study", required=True, help="study file")
    trials.add_argument("--format", choices=("csv", "json"), default="csv", help="default csv")
    trials.add_argument("--curves", action="store_true", help="export the per-step series instead")
    trials.add_argument("--trial", type=int_at_least(0), help="with --curves: only this trial")
    trials.add_argument("--output", help="write to this file instead of standard output")
    trials.set_defaults(run=run_trials)


def summary(record: StudyRecord, path: Path, top: int, retrains: list[Retrain]) -> dict[str, Any]:
    """The outcome of a study as JSON-ready data."""
    best = record.best_trial
    return {
        "study": str(path),
        "objectives": [o.to_dict() for o in record.objectives],
        "objective": record.objective,
        "direction": record.direction,
        "constraints": [c.to_dict() for c in record.constraints],
        "finished": record.n_finished,
        "failed": sum(t.state is TrialState.FAILED for t in record.trials),
        "pruned": sum(t.state is TrialState.PRUNED for t in record.trials),
        "best": None if best is None else trial_rows(record, [best])[0],
        "leaderboard": trial_rows(record, record.leaderboard(top)),
        "pareto_front": [t.number for t in record.pareto_front()] if len(record.objectives) > 1 else None,
        "retrains": [dataclasses.asdict(r) for r in retrains],
        "final_pick": pick_summary(record),
        "selection": (record.config.metadata or {}).get("selection"),
        "baselines": reference_baselines(record.config.evaluator),
    }


def leaderboard_table(record: StudyRecord, top: int) -> Any:
    """A rich table of the `top` best trials (architectures: `nasforge trials`)."""
    from rich.table import Table

    objectives = ", ".join(f"{o.metric} {o.direction}" for o in record.objectives)
    table = Table(title=f"leaderboard ({objectives})")
    board = record.leaderboard(top)
    present = set(board[0].metrics) if board else set()
    names = [o.metric for o in record.objectives]
    metrics = names + [m for m in SHOWN_METRICS if m not in names and m in present]
    columns = ["rank", "trial", *(SHOWN_METRICS.get(m, m) for m in metrics)]
    if record.constraints:
        columns.append("feasible")
    for column in columns:
        table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    for rank, trial in enumerate(board, start=1):
        row = [str(rank), str(trial.number), *(fmt(trial.metrics.get(m)) for m in metrics)]
        if record.constraints:
            row.append("yes" if trial.feasible is not False else "no")
        table.add_row(*row)
    return table


def retrain_lines(retrains: list[Retrain]) -> list[str]:
    """One line per retraining: its valid and test accuracy, or why it failed."""
    lines = []
    for retrain in retrains:
        metrics, epochs = retrain.metrics, retrain.fidelity
        span = "" if epochs is None else f" for {epochs:g} epochs"
        if retrain.error:
            lines.append(f"retraining trial {retrain.trial}{span} failed: {retrain.error}")
        elif "test_accuracy" in metrics or "test_r2" in metrics:
            lines.append(f"trial {retrain.trial} retrained{span}: {valid_and_test(metrics)}")
    return lines


def valid_and_test(metrics: dict[str, float]) -> str:
    """ "valid accuracy 0.9900, test accuracy 0.9910" (R² for a regression); a model trained on
    the validation split has no validation figure, and says so."""
    name, label = ("r2", "R²") if "test_r2" in metrics else ("accuracy", "accuracy")
    valid = metrics.get(f"valid_{name}")
    shown = f"valid {label} {valid:.4f}" if valid is not None else "trained on train+valid"
    return f"{shown}, test {label} {metrics[f'test_{name}']:.4f}"


def pick_lines(pick: dict[str, Any] | None) -> list[str]:
    """The ensemble's figures and which model is the final pick (what export and serve use)."""
    if pick is None:
        return []
    lines = []
    ensemble = pick["ensemble"]
    if ensemble is not None:
        lines.append(
            f"ensemble of the {ensemble['members']} best retrained: {valid_and_test(ensemble['metrics'])}"
        )
        blend = ensemble.get("blend")
        if blend is not None:
            metric = "R²" if blend["metric"] == "r2" else "log loss"
            lines.append(
                f"  blended with a {blend['baseline']} at share {blend['share']:.1f}: on the study's "
                f"{blend['folds']} folds, {metric} {blend['networks']:.4f} for the network alone, "
                f"{blend['blended']:.4f} blended (--no-blend: never)"
            )
    lines.append(f"final pick (export and serve use it): {pick['pick']}")
    return lines


def print_outcome(record: StudyRecord, path: Path, top: int, retrains: list[Retrain]) -> None:
    """Leaderboard, best architecture, retrainings and a count of trials."""
    stdout.print(leaderboard_table(record, top))
    best = record.best_trial
    if best is not None:
        # A supernet's score only shortlists: the rerank's and the final pick's lines below decide.
        by_supernet = from_supernet(record.objective)
        heading = "best by the supernet's score" if by_supernet else "best architecture"
        stdout.print(f"{heading} (trial {best.number}): {record.label(best.genotype)}", soft_wrap=True)
    if len(record.objectives) > 1:
        front = ", ".join(str(t.number) for t in record.pareto_front())
        stdout.print(f"Pareto front (trials): {front or '-'}")
    rank = {t.number: i for i, t in enumerate(record.leaderboard())}  # side by side, they end in any order
    ranked = sorted(retrains, key=lambda r: rank.get(r.trial, len(rank)))
    for line in retrain_lines(ranked) + pick_lines(pick_summary(record)):
        stdout.print(line)
    metadata = record.config.metadata or {}
    if (metadata.get("dataset") or {}).get("task") == "regression":
        stdout.print("the targets are numbers: a regression, scored by R², MSE and MAE (--task overrides)")
    selection = metadata.get("selection")
    if selection:
        stdout.print(f"trials compared by {selection}")
    for baseline in reference_baselines(record.config.evaluator):
        name, label = ("r2", "R²") if "test_r2" in baseline else ("accuracy", "accuracy")
        stdout.print(
            f"reference baseline on the same split, {baseline['name']}: valid {label} "
            f"{baseline[f'valid_{name}']:.4f}, test {label} {baseline[f'test_{name}']:.4f}"
        )
    states = [t.state for t in record.trials]
    stdout.print(
        f"study: {path} — {record.n_finished} trials finished: {states.count(TrialState.COMPLETE)} complete, "
        f"{states.count(TrialState.PRUNED)} pruned, {states.count(TrialState.FAILED)} failed"
    )


def run_leaderboard(args: argparse.Namespace) -> int:
    with StudyView(args.study) as view:
        if args.json:
            print_json(summary(view, Path(args.study), args.top, view.retrains))
        else:
            print_outcome(view, Path(args.study), args.top, view.retrains)
    return 0


def run_trials(args: argparse.Namespace) -> int:
    from nasforge.errors import InvalidArgumentError

    if args.trial is not None and not args.curves:
        raise InvalidArgumentError("--trial goes with --curves (the trials table has every trial)")
    with StudyView(args.study) as view:
        if args.trial is not None and args.trial >= len(view.trials):
            raise InvalidArgumentError(
                f"--trial must be a trial of the study (0 to {len(view.trials) - 1}), got {args.trial}"
            )
        if args.curves:
            numbers = [args.trial] if args.trial is not None else [t.number for t in view.trials]
            rows = [row for n in numbers for row in curve_rows(n, view.curves(n))]
        else:
            rows = trial_rows(view)
    text = (
        to_csv(rows) if args.format == "csv" else json.dumps(finite(rows), indent=2, allow_nan=False) + "\n"
    )
    write_output(text, args.output)
    return 0


def fmt(value: float | None) -> str:
    """Compact numbers: 0.9725, 93.68, 18.6k, 1.25M."""
    if value is None:
        return "-"
    for threshold, unit, suffix in ((1e9, 1e9, "G"), (1e6, 1e6, "M"), (1e4, 1e3, "k")):
        if abs(value) >= threshold:
            return f"{value / unit:.3g}{suffix}"
    return f"{value:.4g}"

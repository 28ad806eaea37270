"""`nasforge search`: run (or resume) a study, with a live progress bar and a leaderboard."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from nasforge.cli.common import add_param_option, int_at_least, parse_params, print_json, stderr, stdout
from nasforge.cli.results import leaderboard_table, summary
from nasforge.config import SearchConfig, load_config
from nasforge.evaluators import make_evaluator
from nasforge.evaluators.base import Evaluator
from nasforge.executors import make_executor
from nasforge.search import open_search
from nasforge.spaces import SPACES
from nasforge.strategies import STRATEGIES
from nasforge.study import Study
from nasforge.trial import Trial

TRAINING_OPTIONS = (
    "data",
    "data_dir",
    "label_column",
    "epochs",
    "batch_size",
    "learning_rate",
    "weight_decay",
    "optimizer",
    "augment",
    "train_subset",
    "max_params",
    "max_flops",
    "device",
)


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "search",
        help="run or resume a search; every trial is stored in a SQLite study",
        description="Runs a search and stores every trial in a SQLite study file. With no options it "
        "runs the built-in default: the macro space on MNIST-1D with regularized evolution. "
        "Every option can also come from a TOML --config file (flags win). Re-running with the same "
        "study resumes it: stored trials are kept and the same search continues to --budget trials.",
    )
    parser.add_argument("--config", help="TOML file with any of these options (see README)")
    parser.add_argument("--name", help="study name, for the default --study path runs/<name>.db")
    parser.add_argument("--study", help="study file (default runs/<name>.db); resumed if it exists")
    parser.add_argument("--space", help=f"search space: {', '.join(SPACES.names())} (default macro)")
    parser.add_argument("--strategy", help=f"one of {', '.join(STRATEGIES.names())} (default evolution)")
    add_param_option(parser)
    parser.add_argument(
        "--seed", type=int_at_least(0), help="seeds the strategy and the training (default 0)"
    )
    parser.add_argument("--budget", type=int_at_least(1), help="trials in total (default 60)")
    parser.add_argument("--metric", help="metric to optimise (default: valid_accuracy, or valid on a table)")
    parser.add_argument("--direction", choices=("maximize", "minimize"), help="default maximize")
    parser.add_argument(
        "--workers", type=int_at_least(1), help="parallel evaluations in processes (default 1)"
    )
    group = parser.add_argument_group("training evaluator")
    group.add_argument("--data", help="mnist1d, fashion-mnist, digits, or a .npz/.csv file or folder")
    group.add_argument("--data-dir", help="folder of the Fashion-MNIST IDX files")
    group.add_argument("--label-column", help="label column of a CSV file (default: the last)")
    group.add_argument("--epochs", type=int_at_least(1), help="training epochs per trial (default 15)")
    group.add_argument("--batch-size", type=int_at_least(1))
    group.add_argument("--learning-rate", type=float)
    group.add_argument("--weight-decay", type=float)
    group.add_argument("--optimizer", help="adamw, adam or sgd")
    group.add_argument("--augment", help="training-batch augmentations, comma-separated: hflip, shift")
    group.add_argument("--train-subset", type=int_at_least(1), help="train on this many examples")
    group.add_argument("--max-params", type=int_at_least(1), help="fail models with more parameters")
    group.add_argument("--max-flops", type=int_at_least(1), help="fail models with more FLOPs per example")
    group.add_argument("--device", help="auto, cpu or cuda")
    group = parser.add_argument_group("tabular evaluator (NAS-Bench-201)")
    group.add_argument("--table", nargs="?", const="", help="evaluate on the NB201 table (or this CSV)")
    group.add_argument("--noisy", action="store_true", default=None, help="one training seed per table query")
    parser.add_argument(
        "--final-epochs",
        type=int_at_least(0),
        help="retrain the winner this many epochs at the end (0: no; default 40)",
    )
    parser.add_argument(
        "--warmup",
        type=int_at_least(1),
        metavar="N",
        help="zero-cost warm-up: start from the best of N proxy-scored candidates",
    )
    parser.add_argument("--warmup-proxy", help="proxy of the warm-up (default synflow)")
    parser.add_argument("--top", type=int_at_least(1), default=10, help="leaderboard rows (default 10)")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar or per-trial lines")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    study, evaluator, path = _open(args)
    try:
        _optimize(study, evaluator, args)
        _retrain_best(study, evaluator, args)
        if args.json:
            print_json(summary(study, path, args.top))
        else:
            _print_outcome(study, path, args.top)
    finally:
        study.close()
    return 0


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The options given as flags, shaped like a `SearchConfig`."""
    keys = ("name", "study", "budget", "seed", "metric", "direction", "workers")
    out: dict[str, Any] = {k: getattr(args, k) for k in keys if getattr(args, k) is not None}
    if args.final_epochs is not None:
        out["final_epochs"] = args.final_epochs
    if args.warmup or args.warmup_proxy:
        out["warmup"] = {
            **({"candidates": args.warmup} if args.warmup else {}),
            **({"proxy": args.warmup_proxy} if args.warmup_proxy else {}),
        }
    if args.space:
        out["space"] = {"name": args.space}
    if args.strategy or args.param:
        out["strategy"] = {**({"name": args.strategy} if args.strategy else {}), **parse_params(args.param)}
    if args.table is not None or args.noisy:
        out["evaluator"] = {
            "name": "table",
            **({"table": args.table} if args.table else {}),
            **({"noisy": True} if args.noisy else {}),
        }
        out.setdefault("space", {"name": "nb201"})
    training = {key: getattr(args, key) for key in TRAINING_OPTIONS if getattr(args, key) is not None}
    if training:
        out["evaluator"] = {"name": "training", **out.get("evaluator", {}), **training}
    return out


def _open(args: argparse.Namespace) -> tuple[Study, Evaluator, Path]:
    given = overrides(args)
    resumable = {"study", "budget", "workers", "final_epochs"}
    if args.study and Path(args.study).exists() and not args.config and set(given) <= resumable:
        study = Study.load(args.study)
        args.final_epochs = given.get("final_epochs", SearchConfig().final_epochs)
        return study, make_evaluator(study.config["evaluator"]), Path(args.study)
    config = load_config(args.config, given)
    study, evaluator = open_search(config)
    args.budget, args.workers, args.final_epochs = config.budget, config.workers, config.final_epochs
    return study, evaluator, config.study_path


def _retrain_best(study: Study, evaluator: Evaluator, args: argparse.Namespace) -> None:
    """Train the winner again for `final_epochs` (training evaluators), unless already done."""
    best, epochs = study.best_trial, args.final_epochs
    if best is None or not epochs or evaluator.name != "training":
        return
    if any(r["trial"] == best.number and r["fidelity"] == epochs for r in study.storage.load_retrains()):
        return
    if not args.json:
        stderr.print(f"retraining the best architecture (trial {best.number}) for {epochs} epochs …")
    study.retrain(evaluator, best, epochs)


def _optimize(study: Study, evaluator: Evaluator, args: argparse.Namespace) -> None:
    budget = args.budget or SearchConfig().budget
    columns = (
        TextColumn("[bold]trial"),
        MofNCompleteColumn(),
        BarColumn(),
        TextColumn("best {task.fields[best]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    hidden = args.no_progress or args.json or not stderr.is_terminal
    with Progress(*columns, console=stderr, disable=hidden) as progress:
        task = progress.add_task("search", total=budget, completed=study.n_finished, best=_best_text(study))

        def on_trial(study: Study, trial: Trial) -> None:
            progress.update(task, completed=study.n_finished, best=_best_text(study))
            if hidden and not (args.json or args.no_progress):  # a log line per trial where no bar is shown
                value = trial.metrics.get(study.objective)
                outcome = (
                    f"{study.objective}={value:.4g}"
                    if trial.reason is None and value is not None
                    else f"FAILED: {trial.reason}"
                )
                stderr.print(f"trial {study.n_finished}/{budget} {outcome} (best {_best_text(study)})")

        executor = make_executor(args.workers or 1)
        try:
            study.optimize(evaluator, budget, executor=executor, callback=on_trial)
        finally:
            executor.shutdown()
    if study.exhausted:
        stderr.print(f"the search space is exhausted after {len(study.trials)} trials")


def _best_text(study: Study) -> str:
    best = study.best_trial
    return "-" if best is None else f"{best.metrics[study.objective]:.4g}"


def _print_outcome(study: Study, path: Path, top: int) -> None:
    stdout.print(leaderboard_table(study, top))
    best = study.best_trial
    if best is not None:
        stdout.print(
            f"best architecture (trial {best.number}): {study.space.format(best.genotype)}", soft_wrap=True
        )
    for retrain in study.storage.load_retrains():
        metrics, epochs = retrain["metrics"], retrain["fidelity"]
        if retrain["error"]:
            stdout.print(
                f"retraining trial {retrain['trial']} for {epochs:g} epochs failed: {retrain['error']}"
            )
        elif "test_accuracy" in metrics:
            stdout.print(
                f"trial {retrain['trial']} retrained for {epochs:g} epochs: "
                f"valid accuracy {metrics['valid_accuracy']:.4f}, "
                f"test accuracy {metrics['test_accuracy']:.4f}"
            )
    failed = sum(t.reason is not None for t in study.trials)
    stdout.print(f"study: {path} — {study.n_finished} trials finished, {failed} failed")

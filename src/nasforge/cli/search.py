"""`nasforge search`: run (or resume) a study, with a live progress bar and a leaderboard."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from nasforge.cli.common import add_param_option, int_at_least, parse_params, print_json, stderr, stdout
from nasforge.cli.results import leaderboard_table, summary
from nasforge.evaluators import TabularEvaluator, make_evaluator
from nasforge.evaluators.base import Evaluator
from nasforge.executors import make_executor
from nasforge.spaces import SPACES, make_space
from nasforge.strategies import STRATEGIES
from nasforge.study import Study
from nasforge.trial import Trial

DEFAULTS = {"space": "nb201", "strategy": "evolution", "seed": 0, "metric": "valid", "direction": "maximize"}


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "search",
        help="run or resume a search; every trial is stored in a SQLite study",
        description="Runs a search and stores every trial in a SQLite study file. Re-running with "
        "the same --study resumes it: the stored trials are kept and the same search continues "
        "until --budget trials have finished.",
    )
    parser.add_argument("--space", help=f"search space, one of {', '.join(SPACES.names())} (default nb201)")
    parser.add_argument("--strategy", help=f"one of {', '.join(STRATEGIES.names())} (default evolution)")
    add_param_option(parser)
    parser.add_argument("--seed", type=int_at_least(0), help="strategy seed (default 0)")
    parser.add_argument("--budget", type=int_at_least(1), default=100, help="trials in total (default 100)")
    parser.add_argument("--metric", help="metric to optimise (default valid)")
    parser.add_argument("--direction", choices=("maximize", "minimize"), help="default maximize")
    parser.add_argument(
        "--table", help="NB201-style CSV(.gz) table to evaluate on (default: shipped CIFAR-10)"
    )
    parser.add_argument("--noisy", action="store_true", default=None, help="one training seed per query")
    parser.add_argument("--name", default="nb201", help="study name, for the default --study path")
    parser.add_argument("--study", help="study file (default runs/<name>.db); resumed if it exists")
    parser.add_argument("--workers", type=int_at_least(1), default=1, help="parallel evaluations (processes)")
    parser.add_argument("--top", type=int_at_least(1), default=10, help="leaderboard rows (default 10)")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    path = Path(args.study or f"runs/{args.name}.db")
    study, evaluator = _open(args, path)
    try:
        _optimize(study, evaluator, args)
        if args.json:
            print_json(summary(study, path, args.top))
        else:
            _print_outcome(study, path, args.top)
    finally:
        study.close()
    return 0


def _open(args: argparse.Namespace, path: Path) -> tuple[Study, Evaluator]:
    explicit = [
        args.space,
        args.strategy,
        args.seed,
        args.param,
        args.metric,
        args.direction,
        args.table,
        args.noisy,
    ]
    if path.exists() and all(value is None for value in explicit):
        study = Study.load(path)
        return study, make_evaluator(study.config["evaluator"])
    options: dict[str, Any] = {
        k: getattr(args, k) if getattr(args, k) is not None else v for k, v in DEFAULTS.items()
    }
    evaluator = TabularEvaluator(
        table=args.table, noisy=bool(args.noisy), epochs=12 if options["metric"] == "valid_12" else 200
    )
    study = Study.create(
        make_space(options["space"]),
        options["strategy"],
        strategy_params=parse_params(args.param),
        seed=options["seed"],
        objective=options["metric"],
        direction=options["direction"],
        path=path,
        evaluator=evaluator,
    )
    return study, evaluator


def _optimize(study: Study, evaluator: Evaluator, args: argparse.Namespace) -> None:
    already = study.n_finished
    columns = (
        TextColumn("[bold]trial"),
        MofNCompleteColumn(),
        BarColumn(),
        TextColumn("best {task.fields[best]}"),
        TimeRemainingColumn(),
    )
    hidden = args.no_progress or args.json or not stderr.is_terminal
    with Progress(*columns, console=stderr, disable=hidden) as progress:
        task = progress.add_task("search", total=args.budget, completed=already, best=_best_text(study))

        def on_trial(study: Study, trial: Trial) -> None:
            progress.update(task, completed=study.n_finished, best=_best_text(study))

        executor = make_executor(args.workers)
        try:
            study.optimize(evaluator, args.budget, executor=executor, callback=on_trial)
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
    failed = sum(t.reason is not None for t in study.trials)
    stdout.print(f"study: {path} — {study.n_finished} trials finished, {failed} failed")

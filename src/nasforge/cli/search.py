"""`nasforge search`: run (or resume) a study, with a live progress bar and a leaderboard."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nasforge.cli.common import (
    add_param_option,
    int_at_least,
    non_negative_float,
    positive_float,
    print_json,
    stderr,
)
from nasforge.cli.results import print_outcome, summary
from nasforge.cli.search_open import file_config, overrides, stored_settings, study_path
from nasforge.defaults import BUDGET, DEFAULT_EVALUATOR, FINAL_EPOCHS
from nasforge.errors import NasforgeError
from nasforge.spaces import SPACES
from nasforge.strategies import STRATEGIES


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
    parser.add_argument(
        "--name", help="study name, for the default --study path runs/<name>.db (default <data>-<space>)"
    )
    parser.add_argument("--study", help="study file (default runs/<name>.db); resumed if it exists")
    parser.add_argument("--space", help=f"search space: {', '.join(SPACES.names())} (default macro)")
    parser.add_argument("--strategy", help=f"one of {', '.join(STRATEGIES.names())} (default evolution)")
    add_param_option(parser)
    parser.add_argument(
        "--seed", type=int_at_least(0), help="seeds the strategy and the training (default 0)"
    )
    parser.add_argument("--budget", type=int_at_least(1), help=f"trials in total (default {BUDGET})")
    parser.add_argument(
        "--metric",
        help="metric(s) to optimise, comma-separated for several objectives "
        "(default: valid_accuracy, or valid on a table); never a test_* metric",
    )
    parser.add_argument(
        "--direction", help="maximize or minimize, one per metric, comma-separated (default maximize)"
    )
    parser.add_argument(
        "--constraint",
        action="append",
        metavar="NAME<=VALUE",
        help="a bound on a metric, repeatable (e.g. params<=1e6); trials are reported feasible or not",
    )
    parser.add_argument(
        "--max-latency-ms", type=float, help="constraint: latency_sample_ms <= this (per example, ms)"
    )
    parser.add_argument(
        "--test-every-trial",
        action="store_true",
        help="measure the test split in every trial, not only at the end",
    )
    parser.add_argument("--pruner", choices=("none", "median"), help="stop trials behind the median early")
    parser.add_argument(
        "--save-top-k", type=int_at_least(0), help="keep the weights of the k best trials too (retrained)"
    )
    add_executor_arguments(parser)
    group = parser.add_argument_group("training evaluator")
    group.add_argument("--data", help="mnist1d, fashion-mnist, digits, or a .npz/.csv file or folder")
    group.add_argument("--data-dir", help="folder of the Fashion-MNIST IDX files")
    group.add_argument("--label-column", help="label column of a CSV file (default: the last)")
    group.add_argument(
        "--epochs",
        type=int_at_least(1),
        help=f"training epochs per trial (default {DEFAULT_EVALUATOR['epochs']})",
    )
    group.add_argument("--batch-size", type=int_at_least(1))
    group.add_argument(
        "--learning-rate",
        type=float,
        help=f"peak learning rate (default {DEFAULT_EVALUATOR['learning_rate']})",
    )
    group.add_argument("--weight-decay", type=float)
    group.add_argument("--optimizer", help="adamw, adam or sgd")
    group.add_argument("--augment", help="training-batch augmentations, comma-separated: hflip, shift")
    group.add_argument("--train-subset", type=int_at_least(1), help="train on this many examples")
    group.add_argument("--max-params", type=int_at_least(1), help="fail models with more parameters")
    group.add_argument("--max-flops", type=int_at_least(1), help="fail models with more FLOPs per example")
    group.add_argument(
        "--threads",
        type=int_at_least(1),
        help="torch threads per trial (default: the cores other processes leave free, shared among workers)",
    )
    group.add_argument("--device", help="auto, cpu or cuda")
    group = parser.add_argument_group("tabular evaluator (NAS-Bench-201)")
    group.add_argument("--table", nargs="?", const="", help="evaluate on the NB201 table (or this CSV)")
    group.add_argument("--noisy", action="store_true", default=None, help="one training seed per table query")
    parser.add_argument(
        "--final-epochs",
        type=int_at_least(0),
        help=f"retrain the winner this many epochs at the end (0: no; default {FINAL_EPOCHS})",
    )
    parser.add_argument(
        "--warmup",
        type=int_at_least(1),
        metavar="N",
        help="zero-cost warm-up: start from the best of N proxy-scored candidates (new studies only; "
        "about 0.05-1 s per candidate on 2 CPU cores)",
    )
    parser.add_argument("--warmup-proxy", help="proxy of the warm-up (default synflow)")
    parser.add_argument("--top", type=int_at_least(1), default=10, help="leaderboard rows (default 10)")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar or per-trial lines")
    parser.set_defaults(run=run)


def add_executor_arguments(parser: argparse.ArgumentParser) -> None:
    """Where trials run: workers, the executor, resources, time limit and retries."""
    group = parser.add_argument_group("execution")
    group.add_argument(
        "--workers",
        type=int_at_least(1),
        help="trials at once (default 1; with --executor ray, as many as the cluster has CPUs for)",
    )
    group.add_argument(
        "--executor",
        choices=("auto", "serial", "process", "ray"),
        help="serial, a process pool, or Ray (default auto: serial for one worker, else processes)",
    )
    group.add_argument("--ray-address", help="join this Ray cluster (default: start a local Ray instance)")
    group.add_argument(
        "--cpus-per-trial",
        type=positive_float,
        help="CPU cores (torch threads) per trial (default: cores / workers)",
    )
    group.add_argument("--gpus-per-trial", type=non_negative_float, help="GPUs per trial on Ray (default 0)")
    group.add_argument(
        "--trial-timeout",
        type=positive_float,
        metavar="S",
        help="fail a trial after S seconds (default none)",
    )
    group.add_argument(
        "--retries",
        type=int_at_least(0),
        help="run a trial again this many times when its worker dies or it times out (default 1)",
    )


def run(args: argparse.Namespace) -> int:
    from nasforge.executors import make_executor

    study, evaluator, path, settings = _open(args)
    try:
        executor = make_executor(
            settings.get("workers"),
            settings.get("executor", "auto"),
            ray_address=settings.get("ray_address"),
            cpus_per_trial=settings.get("cpus_per_trial"),
            gpus_per_trial=settings.get("gpus_per_trial", 0.0),
        )
        if settings != study.settings:  # stored once the executor they ask for could start
            study.update_settings(**settings)
        try:
            _optimize(study, evaluator, args, executor)
        finally:
            executor.shutdown()
        _retrain_best(study, evaluator, args)
        if args.json:
            print_json(summary(study, path, args.top, study.retrains))
        else:
            print_outcome(study, path, args.top, study.retrains)
    finally:
        study.close()
    if study.n_finished and all(t.reason is not None for t in study.trials if t.state.finished):
        raise NasforgeError(f"every trial failed; the first because: {study.trials[0].reason}")
    return 0


def _open(args: argparse.Namespace) -> tuple[Any, Any, Path, dict[str, Any]]:
    """The study, its evaluator, its path and the run settings to use (a resumed study's stored
    settings with the flags that change them, not stored yet)."""
    from nasforge.evaluators import make_evaluator
    from nasforge.search import open_search
    from nasforge.study import Study

    given = overrides(args)
    path = study_path(args, given)
    if path.exists():
        from nasforge.view import StudyView

        with StudyView(path) as view:
            stored = view.config
            done = view.n_finished
        settings = stored_settings(stored, layered_given(args, given), path)
        study = Study.load(path)
        if not args.json and not args.no_progress:
            stderr.print(f"resuming {path}: {done} trials stored, budget {settings['budget']}")
        return study, make_evaluator(study.config["evaluator"]), path, settings
    from nasforge.config import load_config

    config = load_config(args.config, given)
    with _warmup_progress(args, config) as on_warmup:
        study, evaluator = open_search(config, on_warmup)
    return study, evaluator, config.study_path, study.settings


def layered_given(args: argparse.Namespace, given: dict[str, Any]) -> dict[str, Any]:
    """TOML options and flags, merged (flags win), without the defaults."""
    from nasforge.config import layered

    from_file = file_config(args)
    merged = layered([from_file, given])
    return {k: v for k, v in merged.items() if k in given or k in from_file}


def _warmup_progress(args: argparse.Namespace, config: Any) -> Any:
    """A progress bar over the warm-up's candidates (a no-op without a warm-up)."""
    import contextlib

    from rich.progress import Progress

    @contextlib.contextmanager
    def bar() -> Any:
        if config.warmup is None:
            yield None
            return
        hidden = args.json or args.no_progress or not stderr.is_terminal
        total = config.warmup.candidates
        if hidden and not (args.json or args.no_progress):
            stderr.print(f"zero-cost warm-up: scoring {total} candidates with {config.warmup.proxy} …")
        with Progress(console=stderr, transient=True, disable=hidden) as progress:
            task = progress.add_task(f"warm-up ({config.warmup.proxy})", total=total)
            yield lambda _i: progress.advance(task)

    return bar()


def _retrain_best(study: Any, evaluator: Any, args: argparse.Namespace) -> None:
    """Train the winner (and the top-k, if asked) again for `final_epochs` and keep their weights."""
    epochs = study.settings.get("final_epochs", FINAL_EPOCHS)
    if not epochs or evaluator.name != "training":
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    top = study.leaderboard(max(1, study.settings.get("save_top_k", 0)))
    hidden = args.json or args.no_progress or not stderr.is_terminal
    for trial in top:
        if any(r["trial"] == trial.number and r["fidelity"] == epochs for r in study.retrains):
            continue
        if not args.json:
            stderr.print(f"retraining trial {trial.number} for {epochs} epochs …")
        columns = (TextColumn("epoch"), MofNCompleteColumn(), BarColumn(), TimeRemainingColumn())
        with Progress(*columns, console=stderr, transient=True, disable=hidden) as progress:
            task = progress.add_task("retrain", total=epochs)

            def on_epoch(done: int, total: int, task: Any = task) -> None:
                progress.update(task, completed=done)
                if hidden and not (args.json or args.no_progress) and done % max(1, total // 5) == 0:
                    stderr.print(f"  epoch {done}/{total}")

            study.retrain(evaluator, trial, epochs, on_epoch=on_epoch)


def _optimize(study: Any, evaluator: Any, args: argparse.Namespace, executor: Any) -> None:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    budget = study.settings.get("budget", BUDGET)
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

        def on_trial(study: Any, trial: Any) -> None:
            progress.update(task, completed=study.n_finished, best=_best_text(study))
            if hidden and not (args.json or args.no_progress):  # a log line per trial where no bar is shown
                value = trial.metrics.get(study.objective)
                outcome = (
                    f"{study.objective}={value:.4g}"
                    if trial.reason is None and value is not None
                    else f"FAILED: {trial.reason}"
                )
                stderr.print(
                    f"trial {trial.number} ({study.n_finished}/{budget}) {outcome} (best {_best_text(study)})"
                )

        study.optimize(evaluator, budget, executor=executor, callback=on_trial)
    if study.exhausted:
        stderr.print(f"the search space is exhausted after {len(study.trials)} trials")


def _best_text(study: Any) -> str:
    best = study.best_trial
    return "-" if best is None else f"{best.metrics[study.objective]:.4g}"

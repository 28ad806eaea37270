"""`nasforge search`: run (or resume) a study, with a live progress bar and a leaderboard."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from nasforge.cli.common import (
    add_param_option,
    field_argument,
    int_at_least,
    positive_float,
    print_json,
    stderr,
)
from nasforge.cli.progress import Display
from nasforge.cli.results import print_outcome, summary
from nasforge.cli.search_options import (
    DARTS_FINAL_EPOCHS,
    ONE_SHOT,
    SPOS_DEFAULTS,
    SUPERNET_EPOCHS,
    add_warmup_options,
    search_options,
)
from nasforge.cli.tracking import add_search_options, trackers
from nasforge.errors import NasforgeError
from nasforge.spaces import SPACES
from nasforge.strategies import STRATEGIES
from nasforge.study.settings import BUDGET, ENSEMBLE, FINAL_EPOCHS, StudySettings
from nasforge.workflows.config import DEFAULT_EVALUATOR, SearchConfig, shipped_table

if TYPE_CHECKING:
    from nasforge.study.study import Study
    from nasforge.tracking import Tracker


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
    parser.add_argument(
        "--space",
        help=f"search space: {', '.join(n for n in SPACES.names() if n != 'user')}, or your own as "
        "file.py:function or package.module:function (default macro)",
    )
    parser.add_argument(
        "--choice",
        action="append",
        metavar="KNOB=V1,V2",
        help="search only these values of a knob of the space, repeatable (e.g. channels=16,32; "
        "knobs and values: nasforge spaces)",
    )
    parser.add_argument(
        "--strategy",
        help=f"one of {', '.join(STRATEGIES.names())} (default evolution; on the NB201 table local)",
    )
    parser.add_argument(
        "--one-shot",
        choices=ONE_SHOT,
        help="weight sharing: train one supernet of the space (--epochs: its epochs), then score each "
        "candidate on it in a fraction of a second; the winners are retrained on their own at the end. "
        f"spos: a uniformly drawn path per batch (macro, families, nb201; {SUPERNET_EPOCHS['spos']} epochs), "
        f"then random search on it (unless --strategy), --rerank {SPOS_DEFAULTS['rerank']} of a shortlist "
        f"by supernet score and FLOPs and --ensemble {SPOS_DEFAULTS['ensemble']}; darts: architecture "
        "weights learned beside the network's "
        f"(nb201; {SUPERNET_EPOCHS['darts']} epochs), its derived cell scored "
        f"first (default --budget 1: that cell alone) and retrained for --final-epochs {DARTS_FINAL_EPOCHS}",
    )
    add_param_option(parser)
    parser.add_argument(
        "--seed",
        **field_argument(SearchConfig, "seed"),
        help="seeds the strategy and the training (default 0)",
    )
    parser.add_argument("--budget", **setting("budget"), help=f"trials in total (default {BUDGET})")
    parser.add_argument(
        "--metric",
        help="metric(s) to optimise, comma-separated for several objectives "
        "(default: valid_accuracy, or valid on a table); never a test_* metric",
    )
    parser.add_argument(
        "--direction",
        help="maximize or minimize, one per metric, comma-separated (default: each metric's own, "
        "e.g. minimize for a loss or params)",
    )
    parser.add_argument(
        "--constraint",
        action="append",
        metavar="NAME<=VALUE",
        help="a bound on a metric, repeatable (e.g. params<=1e6); trials are reported feasible or not",
    )
    parser.add_argument(
        "--max-latency-ms",
        type=positive_float,
        help="constraint: latency_sample_ms <= this (per example, ms)",
    )
    parser.add_argument(
        "--test-every-trial",
        action="store_true",
        help="measure the test split in every trial, not only at the end",
    )
    parser.add_argument("--pruner", **setting("pruner"), help="stop trials behind the median early")
    parser.add_argument(
        "--save-top-k", **setting("save_top_k"), help="keep the weights of the k best trials too (retrained)"
    )
    add_executor_arguments(parser)
    group = parser.add_argument_group("training evaluator")
    group.add_argument("--data", help="mnist1d, fashion-mnist, digits, or a .npz/.csv file or folder")
    group.add_argument("--data-dir", help="folder of the Fashion-MNIST IDX files")
    group.add_argument("--label-column", help="label column of a CSV file (default: the last)")
    group.add_argument(
        "--task",
        choices=("auto", "classification", "regression"),
        help="what the labels are (default auto: a regression where they are numbers that are not "
        "class labels, e.g. not whole or with many distinct values)",
    )
    group.add_argument(
        "--epochs",
        type=int_at_least(1),
        help=f"training epochs per trial (default {DEFAULT_EVALUATOR['epochs']})",
    )
    group.add_argument(
        "--batch-size",
        type=int_at_least(1),
        help="training batch (default 128; for small data a power of two near an eighth of the training "
        "examples, at least 16)",
    )
    group.add_argument(
        "--learning-rate",
        type=float,
        help=f"peak learning rate (default {DEFAULT_EVALUATOR['learning_rate']})",
    )
    group.add_argument("--weight-decay", type=float)
    group.add_argument("--optimizer", help="adamw, adam or sgd")
    group.add_argument("--augment", help="training-batch augmentations, comma-separated: hflip, shift, erase")
    group.add_argument(
        "--mixup",
        type=float,
        metavar="ALPHA",
        help="train on mixup blends of each batch, Beta(ALPHA, ALPHA) (0.2 is usual; default 0: off)",
    )
    group.add_argument(
        "--precision",
        help="float32 (default) or bfloat16: train under bfloat16 autocast, faster on CPUs with AVX-512 "
        "BF16 and on recent GPUs",
    )
    group.add_argument("--train-subset", type=int_at_least(1), help="train on this many examples")
    group.add_argument("--max-params", type=int_at_least(1), help="fail models with more parameters")
    group.add_argument("--max-flops", type=int_at_least(1), help="fail models with more FLOPs per example")
    group.add_argument(
        "--max-activation-bytes",
        type=int_at_least(1),
        help="fail models whose activations take more bytes per example (the inference working set)",
    )
    group.add_argument(
        "--threads",
        type=int_at_least(1),
        help="torch threads per trial (default: the cores other processes leave free, shared among workers)",
    )
    group.add_argument("--device", help="auto, cpu or cuda")
    group = parser.add_argument_group("your own evaluation")
    group.add_argument(
        "--function",
        metavar="FILE.py:FUNCTION",
        help="evaluate with your own function(call) returning a number or {metric: value} (the "
        "function evaluator); --metric and --direction declare its metrics (default score, maximize)",
    )
    group.add_argument(
        "--optuna",
        metavar="FILE.py:OBJECTIVE",
        help="an existing Optuna objective(trial) as the space (its trial.suggest_* calls) and the "
        "evaluator (its return value, metric 'value'; --direction default minimize)",
    )
    group = parser.add_argument_group("tabular evaluator (NAS-Bench-201)")
    group.add_argument("--table", nargs="?", const="", help="evaluate on the NB201 table (or this CSV)")
    group.add_argument("--noisy", action="store_true", default=None, help="one training seed per table query")
    parser.add_argument(
        "--final-epochs",
        **setting("final_epochs"),
        help=f"retrain the winner this many epochs at the end (0: no; default {FINAL_EPOCHS})",
    )
    parser.add_argument(
        "--final-fit",
        **setting("final_fit"),
        help="what the final retraining trains on: train+valid (default: the trials were compared "
        "on validation data, the final models learn from it too and report no validation figure) or "
        "train (the validation split stays held out)",
    )
    parser.add_argument(
        "--ensemble",
        **setting("ensemble"),
        metavar="K",
        help=f"retrain the K best and average them into one model, the final pick that export and serve "
        f"use (1: the best alone; default {ENSEMBLE}, with --one-shot spos {SPOS_DEFAULTS['ensemble']}); "
        "members trained with --augment hflip also answer the mirrored input",
    )
    parser.add_argument(
        "--no-blend",
        dest="blend",
        action="store_false",
        default=None,
        help="never blend the final pick with a linear model (by default a cross-validated table's "
        "final pick blends one in where the study's folds score the blend higher, and says so)",
    )
    parser.add_argument(
        "--rerank",
        **setting("rerank"),
        metavar="K",
        help="before the final retraining, train the K best on their own (a training search's --epochs; "
        "a one-shot search's candidates' 5) and retrain the best of them by validation accuracy "
        f"(0: no; default 0, with --one-shot spos {SPOS_DEFAULTS['rerank']})",
    )
    add_warmup_options(parser)
    add_search_options(parser)
    parser.add_argument("--top", type=int_at_least(1), default=10, help="leaderboard rows (default 10)")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar or per-trial lines")
    parser.set_defaults(run=run)


def setting(name: str) -> dict[str, Any]:
    """The option of a study setting: its choices and bounds as `StudySettings` declares them."""
    return field_argument(StudySettings, name)


def add_executor_arguments(parser: argparse.ArgumentParser) -> None:
    """Where trials run: workers, the executor, resources, time limit and retries."""
    group = parser.add_argument_group("execution")
    group.add_argument(
        "--workers",
        **setting("workers"),
        help="trials at once (default 1; with --executor ray, as many as the cluster has CPUs for)",
    )
    group.add_argument(
        "--executor",
        **setting("executor"),
        help="serial, a process pool, or Ray (default auto: serial for one worker, else processes)",
    )
    group.add_argument("--ray-address", help="join this Ray cluster (default: start a local Ray instance)")
    group.add_argument(
        "--cpus-per-trial",
        **setting("cpus_per_trial"),
        help="CPU cores (torch threads) per trial (default: cores / workers)",
    )
    group.add_argument(
        "--gpus-per-trial", **setting("gpus_per_trial"), help="GPUs per trial on Ray (default 0)"
    )
    group.add_argument(
        "--timeout",
        **setting("timeout"),
        metavar="S",
        help="start no new trial after S seconds of search; the running ones finish, then the final "
        "retraining runs (default none: the budget alone ends the search)",
    )
    group.add_argument(
        "--trial-timeout",
        **setting("trial_timeout"),
        metavar="S",
        help="fail a trial after S seconds (default none)",
    )
    group.add_argument(
        "--retries",
        **setting("retries"),
        help="run a trial again this many times when its worker dies or it times out (default 1)",
    )


def run(args: argparse.Namespace) -> int:
    from nasforge.oneshot.workflow import prepare_supernet
    from nasforge.workflows.retrain import final_retrain
    from nasforge.workflows.search import open_search, thread_note

    display = Display(args)
    config, given = search_options(args)
    tracking = trackers(args)
    with _warmup_progress(display, config) as on_warmup:
        opened = open_search(config, given, on_warmup=on_warmup, start_executor=True)
    study, settings, executor = opened.study, opened.settings, opened.executor
    for warning in opened.warnings:
        stderr.print(warning, soft_wrap=True)
    if opened.resumed:
        display.note(
            f"resuming {config.study_path}: {opened.stored_trials} trials stored, budget {settings.budget}"
        )
    threads = thread_note(opened.evaluator, settings.workers)
    if threads:
        display.note(threads)
    try:
        if settings != study.settings:  # stored once the executor they ask for could start
            study.update_settings(**settings.model_dump())
        try:
            if prepare_supernet(study, opened.evaluator, _supernet_progress(display, opened.evaluator)):
                display.note(f"supernet trained and kept beside the study: {study.artifact_dir}")
            for tracker in tracking:  # trials finished before (a resumed study) are logged first
                tracker.sync(study)
            _optimize(study, opened.evaluator, display, executor, tracking)
        finally:
            executor.shutdown()
        final_retrain(study, opened.evaluator, _retrain_progress(display), _batch_progress(display))
        _finish_tracking(study, tracking, quiet=args.json)
        if args.json:
            print_json(summary(study, config.study_path, args.top, study.retrains))
        else:
            print_outcome(study, config.study_path, args.top, study.retrains)
    finally:
        study.close()
    if study.n_finished and all(t.reason is not None for t in study.trials if t.state.finished):
        raise NasforgeError(f"every trial failed; the first because: {study.trials[0].reason}")
    return 0


@contextlib.contextmanager
def _warmup_progress(display: Display, config: SearchConfig) -> Iterator[Callable[[int], None] | None]:
    """A progress bar over the warm-up's candidates (None without a warm-up)."""
    if config.warmup is None or config.study_path.exists():  # a stored study was warmed up once
        yield None
        return
    from nasforge.evaluators.table import SHIPPED_PROXY_SCORES

    total, proxy = config.warmup.candidates, config.warmup.proxy
    shipped = shipped_table(config.evaluator) and proxy in SHIPPED_PROXY_SCORES
    how = "looked up, shipped with the table" if shipped else "each network built and scored"
    keep = config.warmup.keep
    with display.progress(transient=True) as progress:
        task = progress.add_task(f"warm-up ({proxy})", total=total)

        def advance(i: int) -> None:
            if i == 0:  # said once scoring starts, after the options were checked
                display.line(f"zero-cost warm-up: the best {keep} of {total} candidates by {proxy} ({how}) …")
            progress.advance(task)

        yield advance


def _retrain_progress(display: Display) -> Callable[[Any, int | None], Callable[[int, int], None]]:
    """Before each final retraining: a line, then an epoch bar (or a line every fifth of it)."""

    def on_retrain(trial: Any, epochs: int | None) -> Callable[[int, int], None]:
        display.note(f"retraining trial {trial.number} for {epochs} epochs …")
        return _epoch_bar(display, epochs)

    return on_retrain


def _batch_progress(display: Display) -> Callable[[list[Any], int | None, int], Callable[[Any], None]]:
    """Before retrainings that run side by side: a line, then a bar over the trials."""

    def on_batch(trials: list[Any], epochs: int | None, at_once: int) -> Callable[[Any], None]:
        numbers = ", ".join(str(t.number) for t in trials)
        display.note(f"retraining trials {numbers} for {epochs} epochs, {at_once} at once …")
        bar = _epoch_bar(display, len(trials), unit="trial")
        finished: list[Any] = []

        def on_done(trial: Any) -> None:
            finished.append(trial)
            bar(len(finished), len(trials))

        return on_done

    return on_batch


def _supernet_progress(display: Display, evaluator: Any) -> Callable[[int, int], None] | None:
    """An epoch bar for the supernet's training, announced by a line (one-shot studies only)."""
    if evaluator.name != "supernet":
        return None
    bar: list[Callable[[int, int], None]] = []

    def on_epoch(done: int, total: int) -> None:
        if not bar:  # training starts (or continues from a checkpoint after `done` epochs)
            how = "DARTS" if evaluator.method == "darts" else "a uniformly drawn path per batch"
            display.note(f"training the supernet ({total} epochs, {how}) …")
            bar.append(_epoch_bar(display, total, start=done))
        else:
            bar[0](done, total)

    return on_epoch


def _epoch_bar(
    display: Display, epochs: int | None, start: int = 0, unit: str = "epoch"
) -> Callable[[int, int], None]:
    """An epoch bar (or a line every fifth of the epochs without one); `on_epoch(done, total)`
    moves it and ends it after the last epoch. `unit` names what it counts."""
    columns = (TextColumn(unit), MofNCompleteColumn(), BarColumn(), TimeRemainingColumn())
    progress = display.progress(*columns, transient=True)
    task = progress.add_task(unit, total=epochs, completed=start)
    progress.start()

    def on_epoch(done: int, total: int) -> None:
        progress.update(task, completed=done)
        display.every(done, total, f"  {unit} {done}/{total}")
        if done == total:
            progress.stop()

    return on_epoch


def _finish_tracking(study: Study, tracking: list[Tracker], quiet: bool) -> None:
    """Log the final pick where a tracker keeps models, end the runs, and say where to look."""
    for tracker in tracking:
        tracker.end(study)
        if tracker.enabled and not quiet:
            stderr.print(tracker.where(), soft_wrap=True)


def _optimize(study: Any, evaluator: Any, display: Display, executor: Any, tracking: list[Tracker]) -> None:
    budget = study.settings.budget
    columns = (
        TextColumn("[bold]trial"),
        MofNCompleteColumn(),
        BarColumn(),
        TextColumn("best {task.fields[best]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with display.progress(*columns) as progress:
        task = progress.add_task("search", total=budget, completed=study.n_finished, best=_best_text(study))

        def on_trial(study: Any, trial: Any) -> None:
            progress.update(task, completed=study.n_finished, best=_best_text(study))
            value = trial.metrics.get(study.objective)
            outcome = (
                f"{study.objective}={value:.4g}"
                if trial.reason is None and value is not None
                else f"FAILED: {trial.reason}"
            )
            display.line(
                f"trial {trial.number} ({study.n_finished}/{budget}) {outcome} (best {_best_text(study)})"
            )
            for tracker in tracking:
                tracker(study, trial)

        study.optimize(evaluator, budget, executor=executor, callback=on_trial)
    if study.exhausted:
        stderr.print(f"the search space is exhausted after {len(study.trials)} trials")
    elif study.n_finished < budget and study.settings.timeout is not None:
        stderr.print(
            f"--timeout {study.settings.timeout:g} s reached after {study.n_finished} of {budget} trials "
            "(the same command resumes the search)"
        )


def _best_text(study: Any) -> str:
    best = study.best_trial
    return "-" if best is None else f"{best.metrics[study.objective]:.4g}"

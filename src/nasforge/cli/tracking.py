"""A search where a team already looks: `search --mlflow` and `--tensorboard`, and
`nasforge export-study STUDY --to-optuna URL` for `optuna-dashboard`."""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING

from nasforge.cli.common import print_json, stderr

if TYPE_CHECKING:
    from nasforge.tracking import Tracker


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "export-study",
        help="write a study's trials into an Optuna study, for optuna-dashboard and Optuna's plots",
        description="Writes every finished trial of STUDY into a new Optuna study through Optuna's public "
        "API: knob values with the space's distributions, objective values, the first objective's "
        "per-epoch curve as intermediate values, the state (complete, pruned, failed), start and end "
        "times, and the other metrics, fidelity and strategy as user attributes. Then: "
        "optuna-dashboard URL.",
    )
    parser.add_argument("study", help="study file")
    parser.add_argument(
        "--to-optuna", required=True, metavar="URL", help="Optuna storage URL, e.g. sqlite:///optuna.db"
    )
    parser.add_argument("--optuna-study-name", help="the Optuna study's name (default: the study file's)")
    parser.add_argument(
        "--replace", action="store_true", help="delete an Optuna study of that name first (default: refuse)"
    )
    parser.add_argument("--json", action="store_true", help="print what was written as JSON")
    parser.set_defaults(run=run)


def add_search_options(parser: argparse.ArgumentParser) -> None:
    """`search`'s options that log the study where a team already looks."""
    group = parser.add_argument_group("tracking (pip install 'nasforge[tracking]')")
    group.add_argument(
        "--mlflow",
        nargs="?",
        const="",
        metavar="TRACKING_URI",
        help="log to MLflow: the study as a parent run, each trial a nested run (knobs, curves, state), "
        "the final pick as a model (default URI: sqlite:///<study>.mlflow.db next to the study; "
        "then: mlflow ui --backend-store-uri URI)",
    )
    group.add_argument(
        "--tensorboard",
        nargs="?",
        const="",
        metavar="DIR",
        help="write TensorBoard logs: each trial's curves and the HParams table (default DIR: "
        "<study>.tensorboard next to the study; then: tensorboard --logdir DIR)",
    )


def trackers(args: argparse.Namespace) -> list[Tracker]:
    """The callbacks `search`'s tracking options ask for (each checks its extra now)."""
    out: list[Tracker] = []
    if args.mlflow is not None:
        from nasforge.tracking.mlflow_tracking import MLflowCallback

        out.append(MLflowCallback(args.mlflow or None))
    if args.tensorboard is not None:
        from nasforge.tracking.tensorboard_tracking import TensorBoardCallback

        out.append(TensorBoardCallback(args.tensorboard or None))
    return out


def run(args: argparse.Namespace) -> int:
    from nasforge.study.record import StudyView
    from nasforge.tracking.optuna_export import export_to_optuna

    with StudyView(args.study) as view:
        written = export_to_optuna(
            view, args.to_optuna, study_name=args.optuna_study_name, replace=args.replace
        )
    if args.json:
        print_json(dataclasses.asdict(written))
        return 0
    stderr.print(
        f"wrote {written.trials} trials ({written.complete} complete, {written.pruned} pruned, "
        f"{written.failed} failed) into the Optuna study {written.study_name!r} at {written.storage}"
        + (f"; {written.skipped_running} still running were left out" if written.skipped_running else ""),
        soft_wrap=True,
    )
    print(f"optuna-dashboard {written.storage}")
    return 0

"""The options of `nasforge search`, from flags and a TOML file, shaped like a `SearchConfig`."""

from __future__ import annotations

import argparse
from typing import Any

from nasforge.cli.common import field_argument, parse_params
from nasforge.errors import InvalidArgumentError
from nasforge.study.settings import StudySettings
from nasforge.workflows.config import (
    TABLE_WARMUP,
    SearchConfig,
    WarmupConfig,
    layered,
    read_toml,
    space_section,
    validated_config,
)

ONE_SHOT = ("spos", "darts")
SUPERNET_EPOCHS = {"spos": 30, "darts": 15}  # chosen on development seeds (see the README)
DARTS_FINAL_EPOCHS = 20  # DARTS' derived cell retrained on its own
# SPOS: random search on the supernet, then the 10 best of a shortlist (`workflows.retrain.shortlist`)
# trained on their own, and their two best retrained side by side and averaged: the shortlist was
# chosen on development seeds; on fresh ones a final ensemble of five cost SPOS its time bound and
# one model its accuracy bound (benchmarks/results/one_shot_mnist1d.md)
SPOS_DEFAULTS: dict[str, Any] = {"rerank": 10, "ensemble": 2, "strategy": {"name": "random"}}
EXECUTION = tuple(k for k in StudySettings.RUN if k not in ("budget", "final_epochs"))
TRAINING_OPTIONS = (
    "data",
    "data_dir",
    "label_column",
    "task",
    "epochs",
    "batch_size",
    "learning_rate",
    "weight_decay",
    "optimizer",
    "augment",
    "mixup",
    "precision",
    "train_subset",
    "max_params",
    "max_flops",
    "max_activation_bytes",
    "threads",
    "device",
)


def add_warmup_options(parser: argparse.ArgumentParser) -> None:
    """`--warmup N`, `--warmup-keep K`, `--warmup-proxy NAME`: the fields of `WarmupConfig`."""
    parser.add_argument(
        "--warmup",
        **field_argument(WarmupConfig, "candidates"),
        metavar="N",
        help="zero-cost warm-up: start from the best of N proxy-scored candidates (new studies only; "
        "about 0.05-1 s per candidate on 2 CPU cores; on the NB201 table synflow is looked up)",
    )
    parser.add_argument(
        "--warmup-keep",
        **field_argument(WarmupConfig, "keep"),
        metavar="K",
        help=f"the warm-up's best K are tried first (default {WarmupConfig.model_fields['keep'].default})",
    )
    parser.add_argument(
        "--warmup-proxy", help=f"proxy of the warm-up (default {WarmupConfig.model_fields['proxy'].default})"
    )
    parser.add_argument(
        "--no-warmup",
        action="store_true",
        help=f"no warm-up (on the NB201 table the default is --warmup {TABLE_WARMUP['candidates']})",
    )


def warmup_section(args: argparse.Namespace) -> dict[str, Any] | bool | None:
    """The warm-up options given as flags, shaped like a `WarmupConfig` (False: --no-warmup;
    None: none given)."""
    flags = {"candidates": "--warmup", "keep": "--warmup-keep", "proxy": "--warmup-proxy"}
    section = {key: getattr(args, flag[2:].replace("-", "_")) for key, flag in flags.items()}
    section = {key: value for key, value in section.items() if value is not None}
    if args.no_warmup and section:
        raise InvalidArgumentError(f"--no-warmup contradicts {flags[next(iter(section))]}; give one")
    return False if args.no_warmup else section or None


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The options given as flags, shaped like a `SearchConfig`."""
    keys = (
        "name",
        "study",
        "budget",
        "seed",
        "metric",
        "direction",
        "final_epochs",
        "final_fit",
        "pruner",
        *EXECUTION,
    )
    out: dict[str, Any] = {k: getattr(args, k) for k in keys if getattr(args, k) is not None}
    if args.test_every_trial:
        out["test_every_trial"] = True
    if args.save_top_k is not None:
        out["save_top_k"] = args.save_top_k
    constraints = list(args.constraint or [])
    if args.max_latency_ms is not None:
        constraints.append(f"latency_sample_ms<={args.max_latency_ms}")
    if constraints:
        out["constraints"] = constraints
    warmup = warmup_section(args)
    if warmup is not None:
        out["warmup"] = warmup
    if args.strategy or args.param:
        out["strategy"] = {**({"name": args.strategy} if args.strategy else {}), **parse_params(args.param)}
    return {**out, **_space_and_evaluator(args)}


def _space_and_evaluator(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if args.space:
        out["space"] = space_section(args.space)
    if args.choice:
        out["space"] = {**out.get("space", {}), "choices": parse_choices(args.choice)}
    if args.table is not None or args.noisy:
        out["evaluator"] = {
            "name": "table",
            **({"table": args.table} if args.table else {}),
            **({"noisy": True} if args.noisy else {}),
        }
        out["space"] = {"name": "nb201", **out.get("space", {})}
    training = {key: getattr(args, key) for key in TRAINING_OPTIONS if getattr(args, key) is not None}
    if args.function or args.optuna:
        out.update(_own_evaluation(args, training))
    elif training:  # into the evaluator a TOML file names (a supernet's options stay), else training
        out["evaluator"] = {**out.get("evaluator", {}), **training}
    return out


def _own_evaluation(args: argparse.Namespace, training: dict[str, Any]) -> dict[str, Any]:
    """`--function` (the function evaluator) or `--optuna` (an Optuna objective as space and
    evaluator); the metrics are --metric with --direction; of the training options only the data."""
    from nasforge.errors import InvalidArgumentError

    if args.function and args.optuna:
        raise InvalidArgumentError("give --function or --optuna, not both")
    default = ("value", "minimize") if args.optuna else ("score", "maximize")
    metrics = [m.strip() for m in args.metric.split(",")] if args.metric else [default[0]]
    directions = [d.strip() for d in args.direction.split(",")] if args.direction else [default[1]]
    if len(directions) == 1:
        directions *= len(metrics)
    if len(directions) != len(metrics):
        raise InvalidArgumentError(
            f"--direction needs one value per --metric ({len(metrics)}), got {len(directions)}"
        )
    data = {k: v for k, v in training.items() if k in ("data", "data_dir", "label_column")}
    unused = sorted(set(training) - set(data))
    if unused:
        raise InvalidArgumentError(
            f"--{unused[0].replace('_', '-')} is an option of the training evaluator; your own "
            "evaluation takes --data, --data-dir and --label-column"
        )
    evaluator = {"name": "function", "function": args.function or args.optuna, **data}
    out: dict[str, Any] = {
        "evaluator": {**evaluator, "metrics": dict(zip(metrics, directions, strict=True))},
        "direction": directions,
    }
    if args.optuna:
        out["space"] = {**space_section(args.optuna), "interface": "optuna"}
        out["evaluator"]["interface"] = "optuna"
    return out


def parse_choices(items: list[str]) -> dict[str, list[Any]]:
    """`["channels=16,32", "batchnorm=true"]` → `{"channels": [16, 32], "batchnorm": [True]}`."""
    from nasforge.errors import InvalidArgumentError

    choices: dict[str, list[Any]] = {}
    for item in items:
        knob, sep, values = item.partition("=")
        if not sep or not knob.strip() or not values.strip():
            raise InvalidArgumentError(f"--choice must look like KNOB=V1,V2, got {item!r}")
        choices[knob.strip()] = [parse_params([f"v={v.strip()}"])["v"] for v in values.split(",")]
    return choices


def search_options(args: argparse.Namespace) -> tuple[SearchConfig, dict[str, Any]]:
    """The validated configuration (defaults, then the TOML file, then the flags) and the options
    the user gave (TOML file and flags merged, without the defaults): a resume compares those."""
    from_file = read_toml(args.config) if args.config else {}
    flags = overrides(args)
    merged = layered([from_file, flags])
    if args.one_shot:
        given_epochs = "epochs" in flags.get("evaluator", {})
        merged["evaluator"] = _one_shot(merged["evaluator"], args.one_shot, given_epochs)
    if args.one_shot == "spos":
        for key, value in SPOS_DEFAULTS.items():
            if key not in flags and key not in from_file:  # one-shot defaults (docs/one-shot.md)
                merged[key] = value
    darts = merged["evaluator"]["name"] == "supernet" and merged["evaluator"].get("method") == "darts"
    # DARTS' answer is its derived cell (a larger budget searches on), retrained on its own
    for key, value in (("budget", 1), ("final_epochs", DARTS_FINAL_EPOCHS)):
        if darts and key not in flags and key not in from_file:
            merged[key] = value
    return validated_config(merged, args.config), _given(merged, [from_file, flags])


def _given(merged: dict[str, Any], sources: list[dict[str, Any]]) -> dict[str, Any]:
    """The options of `merged` that the TOML file or the flags set (a section's defaults left
    out): what a resume compares with the stored study."""
    given: dict[str, Any] = {}
    for key, value in merged.items():
        named = [source[key] for source in sources if key in source]
        if not named:
            continue
        if isinstance(value, dict) and all(isinstance(n, dict) for n in named):
            fields = {field for n in named for field in n}
            given[key] = {field: v for field, v in value.items() if field in fields}
        else:
            given[key] = value
    return given


def _one_shot(evaluator: dict[str, Any], method: str, given_epochs: bool) -> dict[str, Any]:
    """The supernet evaluator trained by `method`, with the training evaluator's data and
    recipe; its epochs train the supernet, `SUPERNET_EPOCHS[method]` unless --epochs says otherwise,
    and the training evaluator's own epochs become the candidates' (`candidate_epochs`)."""
    kept = evaluator["name"] in ("training", "supernet")  # its data and recipe (a TOML file's too)
    training = {k: v for k, v in evaluator.items() if k != "name"} if kept else {}
    if given_epochs:
        return {**training, "name": "supernet", "method": method}
    if evaluator["name"] == "training" and "epochs" in training:  # a candidate's own training
        training["candidate_epochs"] = training["epochs"]
    return {**training, "epochs": SUPERNET_EPOCHS[method], "name": "supernet", "method": method}

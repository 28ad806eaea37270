"""How `nasforge search` opens its study: a new one from defaults + TOML + flags, or a stored one
resumed exactly as it was started (flags may only change the run settings)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from nasforge.cli.common import parse_params
from nasforge.defaults import RUN_SETTINGS
from nasforge.errors import InvalidArgumentError, StudyError

EXECUTION = tuple(k for k in RUN_SETTINGS if k not in ("budget", "final_epochs"))
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
    "threads",
    "device",
)


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The options given as flags, shaped like a `SearchConfig`."""
    keys = ("name", "study", "budget", "seed", "metric", "direction", "final_epochs", "pruner", *EXECUTION)
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


def study_path(args: argparse.Namespace, given: dict[str, Any]) -> Path:
    """Where the study lives: --study, else runs/<name>.db from the config and flags."""
    from nasforge.config import load_config

    return Path(args.study) if args.study else load_config(args.config, given).study_path


def stored_settings(stored: dict[str, Any], given: dict[str, Any], path: Path) -> dict[str, Any]:
    """The stored study's run settings with the flags that may change them; an error naming
    both values for any other option that contradicts what was stored."""
    if "warmup" in given:
        raise InvalidArgumentError(
            f"--warmup cannot apply to the stored study {path}: its first trials were already chosen; "
            "give another --study or --name to start a new one"
        )
    asked = _flatten({k: v for k, v in given.items() if k not in (*RUN_SETTINGS, "study", "name")})
    have = _flatten(_comparable(stored))
    for key, value in asked.items():
        if key in have and json.dumps(have[key]) != json.dumps(value):
            raise InvalidArgumentError(
                f"{key} = {value!r} contradicts the stored study {path}, which has {key} = {have[key]!r}; "
                "resume it without that option, or give another --study or --name"
            )
        if key not in have:
            raise InvalidArgumentError(
                f"{key} = {value!r} cannot be added to the stored study {path}; "
                "resume it without that option, or give another --study or --name"
            )
    from nasforge.config import SearchConfig

    settings = dict(SearchConfig().settings())
    settings.update(stored["settings"])
    settings.update({k: given[k] for k in RUN_SETTINGS if k in given})
    return settings


def _comparable(stored: dict[str, Any]) -> dict[str, Any]:
    """The stored configuration in the shape of `SearchConfig` options."""
    from nasforge.config import SearchConfig
    from nasforge.evaluators import make_evaluator

    if stored.get("evaluator") is None:
        raise StudyError(
            "the study was created without an evaluator and never run; run it once with "
            "Study.optimize(evaluator, …) from Python, or start a new study"
        )
    strategy = stored["strategy"]
    settings = {**SearchConfig().settings(), **stored["settings"]}
    return {
        "space": stored["space"],
        "strategy": {"name": strategy["name"], **strategy["params"]},
        "seed": strategy["seed"],
        "evaluator": make_evaluator(stored["evaluator"]).config(),
        "metric": [o["metric"] for o in stored["objectives"]],
        "direction": [o["direction"] for o in stored["objectives"]],
        "constraints": stored["constraints"],
        **{k: settings[k] for k in ("test_every_trial", "pruner", "save_top_k")},
    }


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and key in ("space", "strategy", "evaluator"):
            out.update(_flatten(value, f"{key}."))
        else:
            out[prefix + key] = _normal(key, value)
    return out


def _normal(key: str, value: Any) -> Any:
    """Flags and stored values in one form: lists not tuples, one-metric lists as lists."""
    if key in ("metric", "direction") and isinstance(value, str):
        return [v.strip() for v in value.split(",")]
    if key == "augment" and isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return json.loads(json.dumps(value))


def file_config(args: argparse.Namespace) -> dict[str, Any]:
    """The TOML file's options (empty without --config)."""
    from nasforge.config import read_toml

    return read_toml(args.config) if args.config else {}

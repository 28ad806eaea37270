"""Resuming a stored study from options: the run settings may change, nothing else may.

`given` holds the options a user gave (TOML file and flags merged, without the defaults), in the
shape of `SearchConfig`. Each is compared with what the study stored, and one that contradicts
it is refused with both values named.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nasforge.errors import InvalidArgumentError, StudyError
from nasforge.evaluators import make_evaluator
from nasforge.spaces.define_by_run.loading import absolute_path
from nasforge.study.settings import StudySettings
from nasforge.study.study_config import StudyConfig

NOT_COMPARED = (*StudySettings.RUN, "study", "name", "warmup")  # a warm-up acts at creation only
# How an evaluator runs, not what it measures: a resume may change them (they are not the study's identity)
EVALUATOR_RUN = ("threads", "device")


def evaluator_run_options(given: dict[str, Any]) -> dict[str, Any]:
    """The evaluator's run options among the options given (applied to a resumed study's evaluator)."""
    evaluator = given.get("evaluator")
    if not isinstance(evaluator, dict):
        return {}
    return {k: v for k, v in evaluator.items() if k in EVALUATOR_RUN}


def resumed_settings(stored: StudyConfig, given: dict[str, Any], path: Path) -> StudySettings:
    """The stored study's settings with the run settings `given` changes (not stored yet).

    Raises:
        InvalidArgumentError: an option that contradicts the stored study or cannot be added to it,
            or a warm-up (the first trials were already chosen).
    """
    if given.get("warmup"):  # --no-warmup (False) asks for nothing a resume cannot do
        raise InvalidArgumentError(
            f"--warmup cannot apply to the stored study {path}: its first trials were already chosen; "
            "give another --study or --name to start a new one"
        )
    asked = {
        key: value
        for key, value in _flatten({k: v for k, v in given.items() if k not in NOT_COMPARED}).items()
        if key.removeprefix("evaluator.") not in EVALUATOR_RUN
    }
    have = _flatten(_comparable(stored))
    for key, value in asked.items():
        if key not in have:
            raise InvalidArgumentError(
                f"{key} = {value!r} cannot be added to the stored study {path}; "
                "resume it without that option, or give another --study or --name"
            )
        if json.dumps(have[key]) != json.dumps(value):
            raise InvalidArgumentError(
                f"{key} = {value!r} contradicts the stored study {path}, which has {key} = {have[key]!r}; "
                "resume it without that option, or give another --study or --name"
            )
    settings = StudySettings.stored(stored.settings)
    return settings.changed(**{k: given[k] for k in StudySettings.RUN if k in given})


def _comparable(stored: StudyConfig) -> dict[str, Any]:
    """The stored configuration in the shape of `SearchConfig` options."""
    if stored.evaluator is None:
        raise StudyError(
            "the study was created without an evaluator and never run; run it once with "
            "Study.optimize(evaluator, …) from Python, or start a new study"
        )
    strategy = stored.strategy
    settings = StudySettings.stored(stored.settings).to_json()
    return {
        "space": stored.space,
        "strategy": {"name": strategy.name, **strategy.params},
        "seed": strategy.seed,
        "evaluator": make_evaluator(stored.evaluator).config(),
        "metric": [o.metric for o in stored.objectives],
        "direction": [o.direction for o in stored.objectives],
        "constraints": stored.constraints,
        **{k: v for k, v in settings.items() if k not in StudySettings.RUN},
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
    """Options and stored values in one form: lists not tuples, one-metric lists as lists, a
    space's `file.py:function` with an absolute path."""
    if key == "function" and isinstance(value, str):
        return absolute_path(value)
    if key in ("metric", "direction") and isinstance(value, str):
        return [v.strip() for v in value.split(",")]
    if key == "augment" and isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return json.loads(json.dumps(value))

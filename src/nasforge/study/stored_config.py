"""A study's stored configuration: what identifies it, and how a stored one is compared with a new one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from nasforge.errors import StudyError
from nasforge.evaluators import make_evaluator
from nasforge.evaluators.base import Evaluator
from nasforge.evaluators.schema import check_selectable
from nasforge.genotype import Genotype
from nasforge.objectives import Constraint, Objective
from nasforge.spaces.base import SearchSpace
from nasforge.strategies.base import Strategy
from nasforge.study.settings import StudySettings
from nasforge.study.study_config import StudyConfig

# What makes two studies the same study (settings such as the budget may differ).
IDENTITY = ("space", "strategy", "objectives", "constraints", "evaluator", "warm_start")


def study_config(
    space: SearchSpace,
    strategy: Strategy,
    objectives: Sequence[Objective],
    constraints: Sequence[Constraint],
    evaluator: Evaluator | None,
    warm_start: list[Genotype] | None,
    settings: StudySettings,
) -> StudyConfig:
    """The configuration stored with a study (through its JSON form: tuples become lists)."""
    if evaluator is not None:
        check_metrics(evaluator, [o.metric for o in objectives], constraints)
    config = {
        "space": space.config(),
        "strategy": strategy.config(),
        "objectives": [o.to_dict() for o in objectives],
        "constraints": [c.to_dict() for c in constraints],
        "evaluator": None if evaluator is None else evaluator.config(),
        "metadata": None if evaluator is None else evaluator.metadata(),
        "warm_start": None if warm_start is None else [space.format(g) for g in warm_start],
        "settings": settings.to_json(),
    }
    return StudyConfig.model_validate(json.loads(json.dumps(config)))


def same_study(stored_config: StudyConfig, asked: StudyConfig, path: object) -> StudyConfig:
    """The stored configuration if `asked` is the same study, else a clear error.

    Raises:
        StudyError: a different space, strategy, objective, constraint, evaluator or warm start.
    """
    stored, config = stored_config.to_json(), asked.to_json()
    if stored["evaluator"] is not None:  # in this release's form (older files lack newer options)
        stored["evaluator"] = json.loads(json.dumps(make_evaluator(stored["evaluator"]).config()))
    differences = [
        k for k in IDENTITY if config[k] is not None and _identity(stored.get(k)) != _identity(config[k])
    ]
    if differences:
        shown = "; ".join(f"{k}: stored {stored.get(k)!r}, asked {config[k]!r}" for k in differences)
        raise StudyError(
            f"study {path} exists with a different configuration ({shown}); "
            "resume it as it is, or give another --study/--name"
        )
    return StudyConfig.stored(stored)


def _identity(part: Any) -> Any:
    """What must match for a study to be the same one: a user-defined space is its function's
    import path (an edited source is the same study, resumed with a warning)."""
    if isinstance(part, dict) and part.get("name") == "user":
        return {k: v for k, v in part.items() if k not in ("source_sha256", "knobs")}
    return part


def check_metrics(evaluator: Evaluator, objectives: Sequence[str], constraints: Sequence[Constraint]) -> None:
    """Every objective and constraint must be a declared, non-test metric of `evaluator`."""
    schema = evaluator.metric_schema()
    for metric in objectives:
        check_selectable(schema, metric, "objective")
    for constraint in constraints:
        check_selectable(schema, constraint.metric, "constraint")

"""`nasforge improve`: turn a study's top directions into a follow-up study, run it, and compare
the winners before and after on the same held-out test split.

The follow-up is the parent's configuration with the actions of its most confident directions
that aim at the objective applied (advice for robustness or for the search itself is not): a
space whose knob choices are widened or fixed, a longer training (search and final retraining
alike), or a more regularised recipe. It is stored beside the parent with a link to
it (`settings.parent`: the parent's path and the directions applied).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from nasforge.analysis.directions import Action, Direction
from nasforge.errors import InvalidArgumentError
from nasforge.evaluators import make_evaluator
from nasforge.evaluators.base import Evaluator
from nasforge.spaces.chain.space import ChainSpace
from nasforge.study.record import StudyView
from nasforge.study.study import Study
from nasforge.workflows.retrain import retrain_top

MIN_CONFIDENCE = 0.5
DEFAULT_RECIPE = {"learning_rate": 0.01, "weight_decay": 1e-4}  # where the stored evaluator has none
TOP_DIRECTIONS = 2


def follow_up_config(view: StudyView, directions: list[Direction]) -> tuple[dict[str, Any], list[Direction]]:
    """The follow-up study's configuration (`SearchConfig` fields) and the directions it applies."""
    stored = view.config
    settings = stored.settings
    config: dict[str, Any] = {
        "space": copy.deepcopy(stored.space),
        "strategy": {"name": stored.strategy.name, **stored.strategy.params},
        "evaluator": {k: v for k, v in (stored.evaluator or {}).items() if k != "threads"},
        "seed": stored.strategy.seed,
        "metric": [o.metric for o in stored.objectives],
        "direction": [o.direction for o in stored.objectives],
        "constraints": [str_constraint(c) for c in stored.constraints],
        **{
            k: settings[k]
            for k in ("budget", "workers", "final_epochs", "pruner", "save_top_k")
            if k in settings
        },
    }
    applied: list[Direction] = []
    for direction in directions:
        if len(applied) == TOP_DIRECTIONS or direction.confidence < MIN_CONFIDENCE:
            continue
        if direction.aim != "objective":  # e.g. robustness: another goal
            continue
        if direction.action and _apply(config, direction.action, view):
            applied.append(direction)
    return config, applied


def str_constraint(data: dict[str, Any]) -> str:
    from nasforge.objectives import Constraint

    return str(Constraint.from_dict(data))


def _apply(config: dict[str, Any], action: Action, view: StudyView) -> bool:
    """Apply one direction's action; False when it does not fit this study (then nothing changes)."""
    changed = copy.deepcopy(config)
    if not (_apply_space(changed["space"], action, _knob_choices(view)) and _apply_recipe(changed, action)):
        return False
    config.clear()
    config.update(changed)
    return True


def _apply_space(space: dict[str, Any], action: Action, knobs: dict[str, Any] | None) -> bool:
    """Fixed or widened (added values) knob choices of a chain space."""
    if (action.fix or action.widen) and knobs is None:
        return False
    for knob, values in action.fix.items():
        if not _set_choices(space, knob.removeprefix("head."), list(values), knobs):
            return False
    for knob, values in action.widen.items():
        name = knob.removeprefix("head.")
        if name == "blocks":
            space["max_blocks"] = space.get("max_blocks", 4) + 2
        elif knobs is None or not _set_choices(space, name, sorted({*knobs.get(name, ()), *values}), knobs):
            return False
    return True


def _apply_recipe(config: dict[str, Any], action: Action) -> bool:
    """Training changes: longer (search and final training), a scaled learning rate or weight decay."""
    evaluator = config["evaluator"]
    if action.recipe and evaluator.get("name") != "training":
        return False
    if action.epochs_factor:
        evaluator["epochs"] = int(evaluator.get("epochs", 5) * action.epochs_factor)
        config["final_epochs"] = int(config.get("final_epochs", 0) * action.epochs_factor)
    for name, scale in (
        ("learning_rate", action.learning_rate_factor),
        ("weight_decay", action.weight_decay_factor),
    ):
        if scale:
            evaluator[name] = (evaluator.get(name) or DEFAULT_RECIPE[name]) * scale
    if action.augment:
        evaluator["augment"] = action.augment
    return True


def _knob_choices(view: StudyView) -> dict[str, tuple[Any, ...]] | None:
    """Current choices of a chain space's knobs by name (blocks too), or None for other spaces."""
    space = view.space_or_none
    if not isinstance(space, ChainSpace):
        return None
    return {k.name: k.choices for k in (*space.block_knobs, *space.head_knobs)}


def _set_choices(space: dict[str, Any], knob: str, values: list[Any], knobs: dict[str, Any] | None) -> bool:
    if knob == "blocks":
        space["min_blocks"] = space["max_blocks"] = int(values[0])
        return True
    if knobs is None or knob not in knobs:
        return False
    space.setdefault("choices", {})[knob] = values
    return True


def improve(study: str | Path, *, budget: int | None = None, out: str | Path | None = None) -> dict[str, Any]:
    """Run one improvement round on the study at `study` and return what it did and found.

    Raises:
        InvalidArgumentError: the study has no directions that a follow-up study can act on, or
            `out` exists already.
    """
    from nasforge.analysis.diagnosis import diagnose
    from nasforge.workflows.config import load_config
    from nasforge.workflows.search import open_search

    with StudyView(study) as view:
        directions = [Direction.from_dict(d) for d in diagnose(view)["directions"]]
        config, applied = follow_up_config(view, directions)
    if not applied:
        found = ", ".join(d.kind for d in directions) or "none"
        raise InvalidArgumentError(
            f"no direction of {study} can be acted on by a follow-up study (directions found: {found}); "
            "see nasforge analyze"
        )
    target = Path(out) if out is not None else _next_path(Path(study))
    if target.exists():
        raise InvalidArgumentError(f"--out must be a new study file, got the existing {str(target)!r}")
    if budget is not None:
        config["budget"] = budget
    search = load_config(None, {**config, "study": str(target)})
    applied_json = [d.to_dict() for d in applied]
    opened = open_search(search, parent={"study": str(study), "directions": applied_json})
    with opened.study as child:
        child.optimize(opened.evaluator, search.budget)
        after = _final(child, opened.evaluator)
    before = _parent_final(Path(study))
    return {
        "study": str(target),
        "parent": str(study),
        "applied": applied_json,
        "before": before,
        "after": after,
    }


def _next_path(study: Path) -> Path:
    for i in range(1, 1000):
        candidate = study.with_name(f"{study.stem}-improve{i}{study.suffix}")
        if not candidate.exists():
            return candidate
    raise InvalidArgumentError(f"too many follow-ups of {study}; give --out")


def _final(study: Study, evaluator: Evaluator) -> dict[str, Any]:
    """The winner retrained with the study's final recipe (its stored retraining, if any): its
    test figures."""
    epochs = study.settings.final_epochs
    top = retrain_top(study, evaluator, epochs or None)
    if not top:
        return {}
    trial, record = top[0]
    return {"trial": trial.number, "epochs": epochs, **_test(record.metrics)}


def _parent_final(study: Path) -> dict[str, Any]:
    """The parent's winner with its final retraining (stored, or run now with the parent's recipe)."""
    with Study.load(study) as parent:
        return _final(parent, make_evaluator(parent.config.evaluator or {}))


def _test(metrics: dict[str, float]) -> dict[str, float]:
    return {k: v for k, v in metrics.items() if k.startswith("test_")}

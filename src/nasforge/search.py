"""Opening a study from a `SearchConfig`: what `nasforge search` and the benchmarks share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nasforge.config import SearchConfig
from nasforge.evaluators import make_evaluator
from nasforge.evaluators.base import Evaluator
from nasforge.evaluators.proxies import check_proxies
from nasforge.evaluators.proxy import ProxyEvaluator
from nasforge.evaluators.training import TrainingEvaluator, auto_threads
from nasforge.genotype import Genotype
from nasforge.objectives import Constraint, make_constraints
from nasforge.spaces import make_space
from nasforge.spaces.base import SearchSpace
from nasforge.strategies.multi_fidelity import MULTI_FIDELITY
from nasforge.strategies.warmup import zero_cost_warmup
from nasforge.study import Study
from nasforge.study_config import check_metrics
from nasforge.task import Task


def warm_start(
    config: SearchConfig,
    space: SearchSpace,
    evaluator: Evaluator,
    on_scored: Callable[[int], None] | None = None,
) -> list[Genotype] | None:
    """The zero-cost warm-up's best architectures for a new study (None: no warm-up asked for)."""
    warmup = config.warmup
    if warmup is None:
        return None
    check_proxies((warmup.proxy,), ensembles=False, what="warmup proxy")
    if isinstance(evaluator, TrainingEvaluator):
        task, data = evaluator.dataset().task, evaluator.data
    else:
        task, data = Task((3, 32, 32), 10), "gaussian"
    proxy = ProxyEvaluator(
        proxies=(warmup.proxy,),
        data=data,
        input_shape=task.input_shape,
        num_classes=task.num_classes,
        seed=config.seed,
    )
    return zero_cost_warmup(
        space,
        lambda g: proxy.evaluate(g, space).metrics[warmup.proxy],
        candidates=warmup.candidates,
        keep=warmup.keep,
        seed=config.seed,
        on_scored=on_scored,
    )


def new_study_parts(config: SearchConfig) -> tuple[SearchSpace, Evaluator]:
    """The space and the evaluator (seeded with the config's seed unless its section sets one),
    with the objectives and constraints checked against the evaluator's metrics."""
    evaluator = make_evaluator({"seed": config.seed, **config.evaluator})
    if isinstance(evaluator, TrainingEvaluator) and evaluator.threads is None:
        # Chosen now and stored with the study: a resumed study trains with the same thread count.
        share = config.cpus_per_trial or auto_threads() / (config.workers or 1)
        evaluator.threads = max(1, int(share))
    space = make_space(config.space)
    check_metrics(evaluator, config.metric or [evaluator.objective], _constraints(config))
    return space, evaluator


def open_search(
    config: SearchConfig,
    on_warmup: Callable[[int], None] | None = None,
    extra_settings: dict[str, Any] | None = None,
) -> tuple[Study, Evaluator]:
    """The study (new, or resumed when the file holds the same configuration) and its evaluator;
    `extra_settings` are stored with the settings (e.g. the parent of a follow-up study).

    Example:
        >>> from nasforge.config import load_config
        >>> study, evaluator = open_search(load_config(None, {"space": {"name": "nb201"},
        ...     "evaluator": {"name": "table"}, "study": ":memory:"}))
        >>> study.objective
        'valid'
    """
    space, evaluator = new_study_parts(config)
    params, fidelity_settings = _fidelity_defaults(config, evaluator)
    study = Study.create(
        space,
        config.strategy["name"],
        strategy_params=params,
        seed=config.seed,
        objective=config.metric or evaluator.objective,
        direction=config.direction if len(config.direction) > 1 else config.direction[0],
        constraints=_constraints(config),
        path=None if config.study == ":memory:" else config.study_path,
        evaluator=evaluator,
        warm_start=warm_start(config, space, evaluator, on_warmup),
        settings={**config.settings(), **fidelity_settings, **(extra_settings or {})},
    )
    return study, evaluator


def _fidelity_defaults(config: SearchConfig, evaluator: Evaluator) -> tuple[dict[str, Any], dict[str, Any]]:
    """The strategy's parameters and extra settings: a multi-fidelity strategy over training
    climbs to the evaluator's epochs (unless told otherwise), every trial follows the learning-
    rate schedule of the top rung, and a promoted trial continues from its checkpoint (so it
    ends exactly as a trial trained that long from scratch)."""
    params = {k: v for k, v in config.strategy.items() if k != "name"}
    if config.strategy["name"] not in MULTI_FIDELITY or not isinstance(evaluator, TrainingEvaluator):
        return params, {}
    if params.get("fidelities") is None and params.get("max_fidelity") is None:
        params["max_fidelity"] = evaluator.epochs
    if evaluator.schedule_epochs is None:
        top = params["fidelities"][-1] if params.get("fidelities") else params["max_fidelity"]
        evaluator.schedule_epochs = max(1, round(float(top)))
    return params, {"checkpoints": True}


def _constraints(config: SearchConfig) -> tuple[Constraint, ...]:
    return make_constraints(config.constraints)

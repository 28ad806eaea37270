"""Opening a search: a new study from a `SearchConfig`, or the stored one resumed as it was
started. What `nasforge search`, `improve` and the benchmarks share."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nasforge.evaluators import make_evaluator
from nasforge.evaluators.base import Evaluator
from nasforge.evaluators.proxies import check_proxies
from nasforge.evaluators.proxy import ProxyEvaluator
from nasforge.evaluators.resources import choose_threads
from nasforge.evaluators.tabular import TabularEvaluator
from nasforge.evaluators.training import TrainingEvaluator
from nasforge.execution.executors import Executor, SerialExecutor, make_executor
from nasforge.genotype import Genotype
from nasforge.objectives import Constraint, make_constraints
from nasforge.spaces import make_space
from nasforge.spaces.base import SearchSpace
from nasforge.strategies import STRATEGIES
from nasforge.strategies.warmup import zero_cost_warmup
from nasforge.study.record import StudyView
from nasforge.study.settings import StudySettings
from nasforge.study.stored_config import check_metrics
from nasforge.study.study import Study
from nasforge.task import Task
from nasforge.workflows.config import SearchConfig, WarmupConfig
from nasforge.workflows.resume import evaluator_run_options, resumed_settings


def warm_start(
    config: SearchConfig,
    space: SearchSpace,
    evaluator: Evaluator,
    on_scored: Callable[[int], None] | None = None,
) -> list[Genotype] | None:
    """The zero-cost warm-up's best architectures for a new study (None: no warm-up asked for)."""
    if config.warmup is None:
        return None
    return warmup_genotypes(config.warmup, space, evaluator, config.seed, on_scored)


def warmup_genotypes(
    warmup: WarmupConfig,
    space: SearchSpace,
    evaluator: Evaluator,
    seed: int,
    on_scored: Callable[[int], None] | None = None,
) -> list[Genotype]:
    """The `warmup.keep` best of `warmup.candidates` random architectures by its proxy: looked up
    where the evaluator's table ships the proxy's scores, else computed on freshly built networks."""
    check_proxies((warmup.proxy,), ensembles=False, what="warmup proxy")
    shipped = evaluator.proxy_scores(warmup.proxy) if isinstance(evaluator, TabularEvaluator) else None
    if shipped is not None:
        score: Callable[[Genotype], float] = lambda g: shipped[space.format(g)]  # noqa: E731
    else:
        if isinstance(evaluator, TrainingEvaluator):
            task, data = evaluator.dataset().task, evaluator.data.dataset
        else:
            task, data = Task((3, 32, 32), 10), "gaussian"
        proxy = ProxyEvaluator(
            proxies=(warmup.proxy,),
            data=data,
            input_shape=task.input_shape,
            num_classes=task.num_classes,
            seed=seed,
        )
        score = lambda g: proxy.evaluate(g, space).metrics[warmup.proxy]  # noqa: E731
    return zero_cost_warmup(
        space,
        score,
        candidates=warmup.candidates,
        keep=warmup.keep,
        seed=seed,
        on_scored=on_scored,
        allowed=lambda g: evaluator.refusal(g, space) is None,
    )


def thread_note(evaluator: Evaluator, workers: int | None) -> str | None:
    """What a person is told of the threads trials train with (None for evaluators that do not
    train), e.g. "threads: 1 (2 cores, 1 busy) now; ..."; for a supernet, those it trains with.

    Example:
        >>> from nasforge.evaluators import Hardware, TrainingEvaluator
        >>> thread_note(TrainingEvaluator(hardware=Hardware(threads=2)), workers=1)
        'threads: 2 per trial (--threads)'
    """
    trains = evaluator.stand_alone()  # a supernet's: what reranks and retrains its winners
    if not isinstance(trains, TrainingEvaluator):
        return None
    if trains.hardware.threads is not None:
        return f"threads: {trains.hardware.threads} per trial (--threads)"
    if trains is not evaluator:
        return (
            f"{choose_threads()} for the supernet now; what trains on its own (the rerank, the "
            "final fit) chooses again from the cores free and the model's size (--threads N fixes it)"
        )
    if workers is not None and workers > 1:
        return (
            f"threads: each of the {workers} workers trains with its share of the cores, less those "
            "busy, chosen again before each trial (--threads N fixes it)"
        )
    return (
        f"{choose_threads()} now; chosen again before each trial from the cores free and the "
        "model's size (--threads N fixes it)"
    )


def new_study_parts(config: SearchConfig) -> tuple[SearchSpace, Evaluator]:
    """The space and the evaluator (seeded with the config's seed unless its section sets one),
    with the objectives and constraints checked against the evaluator's metrics."""
    evaluator = make_evaluator({"seed": config.seed, **config.evaluator})
    space = make_space(config.space)
    check_metrics(evaluator, config.metric or [evaluator.objective], _constraints(config))
    return space, evaluator


@dataclass
class OpenedSearch:
    """A study ready to run.

    Attributes:
        study: the new or resumed study.
        evaluator: its evaluator (a resumed study's, rebuilt from what it stored).
        settings: the settings to run with; on a resume, the stored ones with the run settings
            the options change (store them with `study.update_settings` once they could start).
        resumed: the study file existed.
        stored_trials: finished trials when it was opened.
        executor: where its trials run, started from `settings` when asked for (else serial).
        warnings: what a person should know before it runs (e.g. a user space's source changed).
    """

    study: Study
    evaluator: Evaluator
    settings: StudySettings
    resumed: bool
    stored_trials: int
    executor: Executor = field(default_factory=SerialExecutor)
    warnings: list[str] = field(default_factory=list)


def open_search(
    config: SearchConfig,
    given: dict[str, Any] | None = None,
    *,
    on_warmup: Callable[[int], None] | None = None,
    parent: dict[str, Any] | None = None,
    start_executor: bool = False,
) -> OpenedSearch:
    """The study at `config.study_path`: resumed when the file exists, else created.

    A resumed study keeps everything it stored: `given` (the options the user gave, shaped like
    `SearchConfig`; default: every option `config` was given) may only change its run settings.
    `parent` links a follow-up study to the one it came from (`nasforge improve`). With
    `start_executor`, the executor the settings ask for is started here too (shut it down after).

    Nothing is written before every check has passed: the evaluator's (a missing CUDA device,
    data that does not load) and, with `start_executor`, the executor's (Ray missing or out of
    reach, a Ray address without the Ray executor).

    Raises:
        InvalidArgumentError: an option that contradicts the stored study, an objective the
            evaluator does not measure, or a setting that would fail every trial.

    Example:
        >>> from nasforge.workflows.config import load_config
        >>> opened = open_search(load_config(None, {"space": {"name": "nb201"},
        ...     "evaluator": {"name": "table"}, "study": ":memory:"}))
        >>> opened.study.objective, opened.resumed
        ('valid', False)
    """
    path = config.study_path
    if config.study != ":memory:" and path.exists() and path.stat().st_size > 0:  # an empty file is new
        if given is None:
            given = config.model_dump(include=config.model_fields_set)
        with StudyView(path) as view:
            stored, done = view.config, view.n_finished
        settings = resumed_settings(stored, given, path)
        study = Study.load(path)
        try:
            # threads are chosen per run: a count stored by an earlier release or run is not reused
            kept = {k: v for k, v in (study.config.evaluator or {}).items() if k != "threads"}
            evaluator = make_evaluator({**kept, **evaluator_run_options(given)})
            evaluator.check(study.space)
            executor = _executor(settings) if start_executor else SerialExecutor()
        except BaseException:
            study.close()
            raise
        return OpenedSearch(study, evaluator, settings, True, done, executor, _changes(study))
    space, evaluator = new_study_parts(config)
    evaluator.check(space)
    params, fidelity_settings = _fidelity_defaults(config, evaluator)
    settings = config.settings().changed(**fidelity_settings, parent=parent)
    executor = _executor(settings) if start_executor else SerialExecutor()
    try:
        study = _create(config, space, evaluator, params, settings, on_warmup)
    except BaseException:
        executor.shutdown()
        raise
    return OpenedSearch(study, evaluator, settings, False, 0, executor, _single_objective_note(study))


def _create(
    config: SearchConfig,
    space: SearchSpace,
    evaluator: Evaluator,
    params: dict[str, Any],
    settings: StudySettings,
    on_warmup: Callable[[int], None] | None,
) -> Study:
    return Study.create(
        space,
        config.strategy["name"],
        strategy_params=params,
        seed=config.seed,
        objective=config.metric or evaluator.objective,
        direction=config.direction[0]
        if config.direction and len(config.direction) == 1
        else config.direction,
        constraints=_constraints(config),
        path=None if config.study == ":memory:" else config.study_path,
        evaluator=evaluator,
        warm_start=warm_start(config, space, evaluator, on_warmup),
        settings=settings,
    )


def _changes(study: Study) -> list[str]:
    """A warning when a user-defined space's function changed since the study was created."""
    changes = study.space.changes()
    if not changes:
        return []
    function = study.config.space.get("function", study.space.name)
    return [
        f"warning: {function} changed since the study was created: {'; '.join(changes)}; "
        "the search goes on from the stored trials"
    ]


def _single_objective_note(study: Study) -> list[str]:
    """A note when a strategy made for several objectives has one."""
    if not study.strategy.multi_objective or len(study.objectives) > 1:
        return []
    return [
        f"note: {study.strategy.name} ranks by {study.objective} alone with one objective; give "
        f"--metric {study.objective},params (say) with one --direction each for a Pareto front"
    ]


def _executor(settings: StudySettings) -> Executor:
    return make_executor(
        settings.workers,
        settings.executor,
        ray_address=settings.ray_address,
        cpus_per_trial=settings.cpus_per_trial,
        gpus_per_trial=settings.gpus_per_trial,
    )


def _fidelity_defaults(config: SearchConfig, evaluator: Evaluator) -> tuple[dict[str, Any], dict[str, Any]]:
    """The strategy's parameters and extra settings: a multi-fidelity strategy over training
    climbs to the evaluator's epochs (unless told otherwise), every trial follows the learning-
    rate schedule of the top rung, and a promoted trial continues from its checkpoint (so it
    ends exactly as a trial trained that long from scratch)."""
    params = {k: v for k, v in config.strategy.items() if k != "name"}
    multi_fidelity = STRATEGIES.get(config.strategy["name"]).multi_fidelity
    if not multi_fidelity or not isinstance(evaluator, TrainingEvaluator):
        return params, {}
    if params.get("fidelities") is None and params.get("max_fidelity") is None:
        params["max_fidelity"] = evaluator.recipe.epochs
    if evaluator.recipe.schedule_epochs is None:
        top = params["fidelities"][-1] if params.get("fidelities") else params["max_fidelity"]
        evaluator.recipe = dataclasses.replace(evaluator.recipe, schedule_epochs=max(1, round(float(top))))
    return params, {"checkpoints": True}


def _constraints(config: SearchConfig) -> tuple[Constraint, ...]:
    return make_constraints(config.constraints)

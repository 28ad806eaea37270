"""Repeated searches on a tabular benchmark: the figures `nasforge bench nb201` prints."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from nasforge.errors import StudyError
from nasforge.evaluators.base import EvalOptions
from nasforge.evaluators.table import DEFAULT_TABLE, load_table
from nasforge.evaluators.tabular import FULL_EPOCHS, LOW_EPOCHS, TabularEvaluator
from nasforge.spaces.nb201.space import NB201Space
from nasforge.study import Study
from nasforge.study.record import ranked
from nasforge.trial import Trial
from nasforge.validation import check_int
from nasforge.workflows.config import WarmupConfig
from nasforge.workflows.search import warmup_genotypes


@dataclass(frozen=True)
class BenchSummary:
    """Outcome of `runs` independent searches of `budget` queries each."""

    strategy: str
    budget: int
    runs: int
    mean_test: float
    std_test: float
    found_best: float
    mean_cost_s: float
    sec_per_run: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


@dataclass(frozen=True)
class RunOutcome:
    """One search, read at a budget: the picked architecture's test score, whether it is the
    table's best by the search metric, the simulated cost, and the wall time spent."""

    test: float
    found_best: bool
    cost_s: float
    seconds: float


def bench_nb201(
    strategy: str,
    budgets: Sequence[int],
    *,
    runs: int = 100,
    seed: int = 0,
    table: str | None = None,
    noisy: bool = False,
    seed_table: str | None = None,
    metric: str = "valid",
    strategy_params: dict[str, Any] | None = None,
    warmup: WarmupConfig | None = None,
    on_run: Callable[[int], None] | None = None,
) -> list[BenchSummary]:
    """Run `runs` searches of max(budgets) queries and summarise each budget.

    A strategy never knows its budget, so the first n trials of a longer search are exactly a
    search of budget n: one search per run serves every budget.

    Example:
        >>> [s.budget for s in bench_nb201("random", [5, 10], runs=2)]
        [5, 10]
    """
    budgets = sorted({check_int("budget", b, minimum=1) for b in budgets})
    check_int("runs", runs, minimum=1)
    space = NB201Space()
    epochs = LOW_EPOCHS if metric == "valid_12" else FULL_EPOCHS
    target = _best_key(space, table, metric)
    outcomes: dict[int, list[RunOutcome]] = {b: [] for b in budgets}
    for run in range(runs):
        evaluator = TabularEvaluator(
            table=table, noisy=noisy, seed_table=seed_table, seed=seed + run, epochs=epochs
        )
        start = time.perf_counter()  # the warm-up counts in a run's seconds
        start_from = warmup_genotypes(warmup, space, evaluator, seed + run) if warmup else None
        study = Study.create(
            space,
            strategy,
            seed=seed + run,
            objective=metric,
            strategy_params=strategy_params,
            warm_start=start_from,
        )
        clock: list[float] = []
        study.optimize(evaluator, budgets[-1], callback=_stopwatch(clock))
        for budget in budgets:
            outcomes[budget].append(_read_at(study.trials[:budget], target, clock, start, evaluator, space))
        study.close()
        if on_run is not None:
            on_run(run)
    return [_summarise(strategy, b, outcomes[b]) for b in budgets]


def _stopwatch(clock: list[float]) -> Callable[[Study, Trial], None]:
    """A study callback that records when each trial finished."""
    return lambda _study, _trial: clock.append(time.perf_counter())


def _read_at(
    trials: list[Trial],
    target: str,
    clock: list[float],
    start: float,
    evaluator: TabularEvaluator,
    space: NB201Space,
) -> RunOutcome:
    """The architecture the search picked by its metric, and its test figure (looked up once)."""
    best = ranked(trials)  # a multi-fidelity search picks among its longest trainings
    if not best:
        raise StudyError(f"every trial of a benchmark run failed, the first because: {trials[0].reason}")
    picked = best[0]
    end = clock[len(trials) - 1] if len(clock) >= len(trials) else clock[-1]
    final = evaluator.evaluate(picked.genotype, space, picked.fidelity, EvalOptions(test=True))
    return RunOutcome(
        test=final.metrics["test"],
        found_best=picked.key == target,
        cost_s=sum(t.cost_s for t in trials),
        seconds=end - start,
    )


def _summarise(strategy: str, budget: int, outcomes: list[RunOutcome]) -> BenchSummary:
    tests = [o.test for o in outcomes]
    return BenchSummary(
        strategy=strategy,
        budget=budget,
        runs=len(outcomes),
        mean_test=statistics.fmean(tests),
        std_test=statistics.pstdev(tests),
        found_best=sum(o.found_best for o in outcomes) / len(outcomes),
        mean_cost_s=statistics.fmean(o.cost_s for o in outcomes),
        sec_per_run=statistics.fmean(o.seconds for o in outcomes),
    )


def _best_key(space: NB201Space, table: str | None, metric: str) -> str:
    """Key of the table's best architecture by the search metric."""
    data = load_table(table or DEFAULT_TABLE)
    column = "valid_12" if metric == "valid_12" else "valid"
    best = int(data.columns[column].argmax())
    return space.key(space.parse(data.archs[best]))

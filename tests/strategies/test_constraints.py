"""A study's constraints steer every strategy: trials that break them are not built on."""

from __future__ import annotations

import pytest

from nasforge import STRATEGIES, NB201Space, Study, TabularEvaluator
from nasforge.genotype import Genotype
from nasforge.strategies.evolution import RegularizedEvolution
from nasforge.trial import Trial, TrialState

LIMIT = 2e5  # parameters: about a quarter of NB201's cells are this small
SINGLE_OBJECTIVE = [n for n in STRATEGIES.names() if not STRATEGIES.get(n).multi_objective and n != "random"]


def late_feasible_share(name: str, *, told: bool) -> float:
    """The share of trials 40-99 within `LIMIT`, with the constraint given to the study (told)
    or not (then the strategy cannot know it and only the final ranking could use it)."""
    study = Study.create(NB201Space(), name, seed=0, constraints=[f"params<={LIMIT}"] if told else [])
    study.optimize(TabularEvaluator(), 100)
    late = study.trials[40:]
    return sum(t.metrics["params"] <= LIMIT for t in late) / len(late)


@pytest.mark.parametrize("name", SINGLE_OBJECTIVE)
def test_the_search_moves_towards_the_feasible_region(name: str) -> None:
    told, ignored = late_feasible_share(name, told=True), late_feasible_share(name, told=False)
    assert told >= ignored + 0.05, (told, ignored)
    assert told >= 0.3


def trial(number: int, genotype: Genotype, score: float, feasible: bool) -> Trial:
    return Trial(
        number,
        genotype,
        str(number),
        state=TrialState.COMPLETE,
        score=score,
        values=[score],
        feasible=feasible,
    )


def test_evolution_picks_a_feasible_parent_over_a_better_infeasible_one() -> None:
    space = NB201Space()
    evolution = RegularizedEvolution(space, population_size=2, sample_size=2, seed=0)
    small, big = evolution.ask(2)
    evolution.tell(trial(0, big.genotype, 95.0, feasible=False))
    evolution.tell(trial(1, small.genotype, 60.0, feasible=True))
    child = space.key(evolution.ask(1)[0].genotype)
    assert child in {space.key(g) for g in space.neighbors(small.genotype)}
    assert child not in {space.key(g) for g in space.neighbors(big.genotype)}

"""What each strategy does beyond the shared contract."""

from __future__ import annotations

import numpy as np
import pytest

from nasforge import NB201Space, Study, TabularEvaluator, Trial, TrialState, make_strategy
from nasforge.strategies import STRATEGIES, GeneticAlgorithm, LocalSearch, SimulatedAnnealing
from nasforge.workflows.bench import bench_nb201


@pytest.mark.slow
def test_every_single_fidelity_strategy_beats_random_search_on_the_table() -> None:
    """Same query budget, 15 runs each. (Multi-fidelity strategies spend most queries at 12 epochs,
    so they are compared by simulated cost instead: tests/strategies/test_multi_fidelity.py.)"""
    names = [n for n in STRATEGIES.names() if not STRATEGIES.get(n).multi_fidelity]
    assert len(names) >= 8
    mean = {name: bench_nb201(name, [60], runs=15, seed=100)[0].mean_test for name in names}
    beaten = [name for name in names if name != "random" and mean[name] <= mean["random"]]
    assert beaten == [], mean


def test_local_search_moves_only_to_better_neighbors(nb201: NB201Space) -> None:
    study = Study.create(
        nb201, "local", seed=2, strategy_params={"improvement": "best", "initial_samples": 3}
    )
    strategy = study.strategy
    assert isinstance(strategy, LocalSearch)
    moves: list[tuple[tuple[object, float] | None, object, float]] = []
    original = strategy._move

    def watched(genotype: object, score: float) -> None:
        moves.append((strategy._current, genotype, score))
        original(genotype, score)  # type: ignore[arg-type]

    strategy._move = watched  # type: ignore[method-assign]
    study.optimize(TabularEvaluator(), 80)
    climbs = [(before, after, score) for before, after, score in moves if before is not None]
    assert len(climbs) >= 3, moves  # it climbed more than once
    for (current, current_score), after, score in climbs:  # type: ignore[misc]
        assert score > current_score
        assert nb201.key(after) in {nb201.key(n) for n in nb201.neighbors(current)}


def test_annealing_schedules_cool_down(nb201: NB201Space) -> None:
    for cooling in ("geometric", "linear", "logarithmic"):
        sa = make_strategy("annealing", nb201, cooling=cooling, cooling_rate=0.1)
        assert isinstance(sa, SimulatedAnnealing)
        temps = []
        for step in (0, 5, 20):
            sa._steps = step
            temps.append(sa.temperature())
        assert temps[0] == 1.0 and temps[0] > temps[1] > temps[2] >= 0


def test_genetic_operators_mix_parent_bits(nb201: NB201Space) -> None:
    ga = make_strategy("genetic", nb201, population_size=4, crossover="one_point", mutation_rate=0.0)
    assert isinstance(ga, GeneticAlgorithm)
    a = nb201.make(["none"] * 6)
    b = nb201.make(["avg_pool_3x3"] * 6)
    ga._population = [(a, 1.0), (b, 1.0), (a, 1.0), (b, 1.0)]
    ga.tournament_size = 1
    children = {tuple(ga._breed()) for _ in range(40)}
    bits_a, bits_b = tuple(nb201.to_bits(a)), tuple(nb201.to_bits(b))
    # one-point children are a prefix of one parent followed by the suffix of the other
    splices = {x[:p] + y[p:] for p in range(len(bits_a) + 1) for x, y in ((bits_a, bits_b), (bits_b, bits_a))}
    assert children <= splices
    assert len(children) > 2


def test_evolution_ages_out_the_oldest(nb201: NB201Space) -> None:
    rea = make_strategy("evolution", nb201, population_size=3, sample_size=2)
    rng = np.random.default_rng(0)
    for i in range(5):
        g = nb201.sample(rng)
        rea.tell(Trial(number=i, genotype=g, key=nb201.key(g), score=float(i)))
    assert [score for _, (_, score) in rea._population] == [2.0, 3.0, 4.0]


@pytest.mark.parametrize("improvement", ["first", "best"])
def test_local_search_reaches_the_optimum_with_enough_budget(nb201: NB201Space, improvement: str) -> None:
    study = Study.create(nb201, "local", seed=7, strategy_params={"improvement": improvement})
    study.optimize(TabularEvaluator(), 300)
    assert study.best_trial is not None
    assert study.best_trial.metrics["valid"] == pytest.approx(91.6067, abs=1e-3)


def test_local_search_does_not_take_exploration_samples_for_neighbours(nb201: NB201Space) -> None:

    strategy = LocalSearch(nb201, improvement="best", initial_samples=1, seed=0)
    start = strategy.ask(1)[0].genotype
    strategy.tell(Trial(0, start, nb201.key(start), state=TrialState.COMPLETE, score=50.0))
    distinct = {nb201.key(n) for n in nb201.neighbors(start)} - {nb201.key(start)}
    neighbours = [strategy.ask(1)[0].genotype for _ in distinct]  # all asked, none told yet
    assert {nb201.key(g) for g in neighbours} == distinct
    explore = strategy.ask(1)[0].genotype  # waiting on the neighbours: a random exploration sample
    assert nb201.key(explore) not in {nb201.key(n) for n in nb201.neighbors(start)}
    strategy.tell(Trial(1, explore, nb201.key(explore), state=TrialState.COMPLETE, score=99.0))
    for number, genotype in enumerate(neighbours, start=2):
        strategy.tell(Trial(number, genotype, nb201.key(genotype), state=TrialState.COMPLETE, score=10.0))
    strategy.ask(1)
    assert strategy._current is None or strategy._current[0] != explore  # no neighbour was better: restart

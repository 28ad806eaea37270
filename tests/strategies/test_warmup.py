from __future__ import annotations

from pathlib import Path

from nasforge import NB201Space, Study, TabularEvaluator
from nasforge.evaluators.table import load_table
from nasforge.strategies.warmup import zero_cost_warmup


def convs(genotype: object) -> float:
    return float(genotype.spec.count("nor_conv_3x3"))  # type: ignore[attr-defined]


def test_warmup_keeps_the_best_distinct_candidates(nb201: NB201Space) -> None:
    best = zero_cost_warmup(nb201, convs, candidates=200, keep=5, seed=1)
    assert len(best) == 5 and len({nb201.key(g) for g in best}) == 5
    scores = [convs(g) for g in best]
    assert scores == sorted(scores, reverse=True) and scores[0] >= 4
    assert best == zero_cost_warmup(nb201, convs, candidates=200, keep=5, seed=1)


def test_warmup_draws_only_the_allowed_candidates(nb201: NB201Space) -> None:
    best = zero_cost_warmup(nb201, convs, candidates=100, keep=5, seed=1, allowed=lambda g: convs(g) <= 2)
    assert len(best) == 5 and all(convs(g) <= 2 for g in best) and convs(best[0]) == 2


def test_warm_started_evolution_starts_from_the_warmup_and_resumes(nb201: NB201Space, tmp_path: Path) -> None:
    table = load_table()
    valid = dict(zip(table.archs, table.columns["valid"], strict=True))
    warm = zero_cost_warmup(nb201, lambda g: valid[nb201.format(g)], candidates=300, keep=10, seed=0)
    path = tmp_path / "w.db"
    study = Study.create(nb201, "evolution", seed=2, path=path, warm_start=warm)
    study.optimize(TabularEvaluator(), 15)
    assert [t.genotype for t in study.trials[:10]] == warm
    study.close()
    resumed = Study.load(path)
    resumed.optimize(TabularEvaluator(), 30)
    reference = Study.create(nb201, "evolution", seed=2, warm_start=warm)
    reference.optimize(TabularEvaluator(), 30)
    assert [t.key for t in resumed.trials] == [t.key for t in reference.trials]
    cold = Study.create(nb201, "evolution", seed=2)
    cold.optimize(TabularEvaluator(), 30)
    assert max(t.metrics["valid"] for t in study.trials[:10]) > max(
        t.metrics["valid"] for t in cold.trials[:10]
    )


def test_every_single_fidelity_strategy_starts_from_the_warmup(nb201: NB201Space) -> None:
    warm = zero_cost_warmup(nb201, convs, candidates=200, keep=4, seed=3)
    for name in ("tpe", "bananas", "local", "annealing", "genetic", "nsga2", "random"):
        study = Study.create(nb201, name, seed=1, warm_start=warm)
        study.optimize(TabularEvaluator(), 6)
        starts = 1 if name == "annealing" else 4  # annealing walks from its one start
        assert [t.genotype for t in study.trials[:starts]] == warm[:starts], name

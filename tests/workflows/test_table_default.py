"""The NB201 table's default search: local search from a synflow warm-up looked up in the shipped scores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nasforge import NB201Space, Study
from nasforge.evaluators.proxy import ProxyEvaluator
from nasforge.evaluators.table import load_proxy_scores
from nasforge.strategies.warmup import zero_cost_warmup
from nasforge.workflows.bench import bench_nb201
from nasforge.workflows.config import WarmupConfig, load_config
from tests.helpers import run


def test_the_shipped_synflow_is_what_the_proxy_computes(nb201: NB201Space) -> None:
    scores = load_proxy_scores("synflow")
    assert scores is not None and len(scores) == 15_625
    proxy = ProxyEvaluator(proxies=("synflow",), seed=0)  # the benchmark's network, weights seeded 0
    for arch in list(scores)[:: 15_625 // 3][:3]:
        live = proxy.evaluate(nb201.parse(arch), nb201).metrics["synflow"]
        assert live == pytest.approx(scores[arch], rel=1e-6)


def test_the_table_defaults_to_local_search_from_the_warmup() -> None:
    table = {"evaluator": {"name": "table"}, "space": {"name": "nb201"}}
    config = load_config(None, table)
    assert config.strategy["name"] == "local" and config.warmup == WarmupConfig(candidates=3000)
    named = load_config(None, {**table, "strategy": {"name": "bananas"}})
    assert named.strategy["name"] == "bananas" and named.warmup is not None  # the warm-up stays
    assert load_config(None, {**table, "warmup": False}).warmup is None
    own_table = {**table, "evaluator": {"name": "table", "table": "mine.csv"}}
    assert load_config(None, own_table).warmup is None  # its scores would be computed: not by default
    assert load_config(None, {}).strategy["name"] == "evolution"  # training keeps its default


def test_a_table_search_starts_from_the_best_synflow_cells(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "t.db"
    code, out, _ = run(capsys, "search", "--table", "--study", str(db), "--budget", "15", "--json")
    assert code == 0 and json.loads(out)["finished"] == 15
    study = Study.load(db)
    scores = load_proxy_scores("synflow")
    assert scores is not None
    expected = zero_cost_warmup(study.space, lambda g: scores[study.space.format(g)], candidates=3000, seed=0)
    assert study.config.warm_start == [study.space.format(g) for g in expected]
    assert study.config.strategy.name == "local"
    first = study.trials[0].genotype  # local search starts at the warm-up's best
    assert study.space.format(first) == study.config.warm_start[0]
    study.close()
    code, out, _ = run(
        capsys, "search", "--table", "--study", str(db), "--budget", "20", "--no-warmup", "--json"
    )
    assert code == 0 and json.loads(out)["finished"] == 20  # the same command line resumes
    code, _, err = run(capsys, "search", "--table", "--study", str(db), "--budget", "25", "--warmup", "9")
    assert code == 2 and "--warmup cannot apply to the stored study" in err
    code, _, err = run(
        capsys, "search", "--table", "--study", str(tmp_path / "n.db"), "--no-warmup", "--warmup", "9"
    )
    assert code == 2 and "--no-warmup contradicts --warmup; give one" in err


def test_the_warmup_finds_the_table_optimum_where_local_search_alone_misses_it() -> None:
    plain, warm = (
        bench_nb201("local", [50], runs=5, seed=500, warmup=w)[0]
        for w in (None, WarmupConfig(candidates=3000))
    )
    assert warm.found_best > plain.found_best and warm.mean_test > plain.mean_test

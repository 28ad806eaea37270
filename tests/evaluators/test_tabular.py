from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np
import pytest

from nasforge import EvalOptions, InvalidArgumentError, NB201Space, Study, TableError, TabularEvaluator
from nasforge.evaluators.table import DEFAULT_TABLE, load_table
from tests.conftest import BEST_ARCH

HEADER = "arch,valid,test,train_time_s\n"
ARCH_A = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|"
ARCH_B = "|skip_connect~0|+|none~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|"


def test_shipped_table_holds_the_known_optima(nb201: NB201Space) -> None:
    table = load_table()
    assert len(table.archs) == 15625
    best_valid = int(table.columns["valid"].argmax())
    assert best_valid == int(table.columns["test"].argmax()) == 6111
    assert table.archs[best_valid] == BEST_ARCH
    assert table.columns["valid"][best_valid] == pytest.approx(91.607, abs=1e-3)
    assert table.columns["test"][best_valid] == pytest.approx(94.373, abs=1e-3)


def test_lookup_returns_table_values_and_cost(nb201: NB201Space, table_evaluator: TabularEvaluator) -> None:
    result = table_evaluator.evaluate(nb201.parse(BEST_ARCH), nb201, options=EvalOptions(test=True))
    assert result.metrics["test"] == pytest.approx(94.3733, abs=1e-4)
    assert result.metrics["params"] > 1e5
    assert result.cost_s == result.metrics["train_time_s"] > 0
    assert result.error is None


def test_low_fidelity_uses_12_epoch_columns_and_scaled_cost(nb201: NB201Space) -> None:
    g = nb201.parse(BEST_ARCH)
    full = TabularEvaluator().evaluate(g, nb201, options=EvalOptions(test=True))
    low = TabularEvaluator(epochs=12).evaluate(g, nb201)
    assert low.metrics["valid"] == full.metrics["valid_12"] < full.metrics["valid"]
    assert low.cost_s == pytest.approx(full.cost_s * 12 / 200)
    at_12 = TabularEvaluator().evaluate(g, nb201, fidelity=12, options=EvalOptions(test=True))
    assert at_12.metrics["test"] == full.metrics["test_12"]
    with pytest.raises(InvalidArgumentError, match="fidelity"):
        TabularEvaluator().evaluate(g, nb201, fidelity=50)


def test_test_columns_only_when_asked(nb201: NB201Space, table_evaluator: TabularEvaluator) -> None:
    searched = table_evaluator.evaluate(nb201.parse(BEST_ARCH), nb201)
    assert "valid" in searched.metrics and not any(k.startswith("test") for k in searched.metrics)
    schema = {s.name: s.split for s in table_evaluator.metric_schema()}
    assert schema["valid"] == "valid" and schema["test"] == "test" and schema["params"] == "none"


def test_partial_table_is_refused_up_front(tmp_path: Path, nb201: NB201Space) -> None:
    rows = load_table().archs[:20]
    path = tmp_path / "part.csv"
    path.write_text("arch,valid,test\n" + "".join(f"{a},90,89\n" for a in rows))
    with pytest.raises(InvalidArgumentError, match="has 20 of the 15,625 NB201 cells"):
        Study.create(nb201, "random").optimize(TabularEvaluator(table=str(path)), 5)


def test_noisy_mode_draws_one_real_seed_deterministically(nb201: NB201Space) -> None:
    archs = load_table().archs[:40]
    draws = [
        TabularEvaluator(noisy=True, seed=3).evaluate(nb201.parse(a), nb201).metrics["valid"] for a in archs
    ]
    again = [
        TabularEvaluator(noisy=True, seed=3).evaluate(nb201.parse(a), nb201).metrics["valid"] for a in archs
    ]
    other = [
        TabularEvaluator(noisy=True, seed=4).evaluate(nb201.parse(a), nb201).metrics["valid"] for a in archs
    ]
    means = [TabularEvaluator().evaluate(nb201.parse(a), nb201).metrics["valid"] for a in archs]
    assert draws == again
    assert draws != other
    assert draws != means
    # one seed's accuracy, so within a few points of the mean over seeds
    assert np.max(np.abs(np.array(draws) - np.array(means))) < 5


def test_custom_table_and_missing_architecture(tmp_path: Path, nb201: NB201Space) -> None:
    path = tmp_path / "t.csv"
    path.write_text(HEADER + f"{ARCH_A},80.5,81.0,100\n")
    evaluator = TabularEvaluator(table=str(path))
    assert evaluator.evaluate(nb201.parse(ARCH_A), nb201).metrics["valid"] == 80.5
    with pytest.raises(TableError, match="not in table"):
        evaluator.evaluate(nb201.parse(ARCH_B), nb201)


def test_gzipped_custom_table(tmp_path: Path, nb201: NB201Space) -> None:
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress((HEADER + f"{ARCH_A},70,71,5\n").encode()))
    assert TabularEvaluator(table=str(path)).evaluate(nb201.parse(ARCH_A), nb201).cost_s == 5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("arch,valid\n" + f"{ARCH_A},1\n", "lacks column"),
        (HEADER, "no rows"),
        (HEADER + "|bogus~0|,1,2,3\n", "bad arch"),
        (HEADER + f"{ARCH_A},high,2,3\n", "must be numeric"),
        (HEADER + f"{ARCH_A},1,2,3\n{ARCH_A},1,2,3\n", "more than once"),
        ("", "lacks column"),
    ],
)
def test_malformed_tables_get_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(TableError, match=message):
        TabularEvaluator(table=str(path))


def test_missing_and_binary_tables(tmp_path: Path) -> None:
    with pytest.raises(TableError, match="does not exist"):
        TabularEvaluator(table=str(tmp_path / "nope.csv"))
    garbage = tmp_path / "garbage.csv.gz"
    garbage.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(TableError, match="cannot be read"):
        TabularEvaluator(table=str(garbage))


def test_bad_options_are_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="epochs"):
        TabularEvaluator(epochs=50)
    path = tmp_path / "t.csv"
    path.write_text(HEADER + f"{ARCH_A},80.5,81.0,100\n")
    with pytest.raises(InvalidArgumentError, match="seed_table"):
        TabularEvaluator(table=str(path), noisy=True)
    with pytest.raises(InvalidArgumentError, match="valid_12"):
        TabularEvaluator(table=str(path), epochs=12)


def test_evaluator_pickles_without_the_table(nb201: NB201Space, table_evaluator: TabularEvaluator) -> None:
    blob = pickle.dumps(table_evaluator)
    assert len(blob) < 2000
    clone = pickle.loads(blob)
    g = nb201.parse(BEST_ARCH)
    assert clone.evaluate(g, nb201).metrics == table_evaluator.evaluate(g, nb201).metrics
    assert clone.config() == table_evaluator.config()
    assert DEFAULT_TABLE.is_file()

"""Every registered evaluator must pass these checks."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from nasforge import EVALUATORS, EvalOptions, Evaluator, Genotype, SearchSpace, make_evaluator, make_space
from nasforge.evaluators.base import run_evaluation

# A small configuration of each evaluator, with a space it can evaluate.
CASES = {
    "table": ({"name": "table"}, {"name": "nb201"}),
    "training": (
        {
            "name": "training",
            "data": "digits",
            "epochs": 1,
            "noise_levels": [0.1],
            "proxies": ["synflow"],
            "threads": 1,
        },
        {"name": "macro", "max_blocks": 2, "choices": {"channels": [16]}},
    ),
    "function": (
        {
            "name": "function",
            "function": "tests.spaces.user_spaces:score_call",
            "metrics": {"score": "maximize"},
        },
        {"name": "user", "function": "tests.spaces.user_spaces:knobs_only"},
    ),
    "supernet": (
        {"name": "supernet", "data": "digits", "epochs": 1, "threads": 1},
        {"name": "macro", "max_blocks": 2, "choices": {"channels": [8, 16]}},
    ),
    "proxy": (
        {"name": "proxy", "proxies": ["synflow", "naswot"], "input_shape": [3, 8, 8], "batch_size": 8},
        {"name": "nb201", "channels": 4, "cells_per_stage": 1},
    ),
}
TIMING_UNITS = {"s", "ms", "MB", "examples/s"}  # measured time and memory vary from run to run


def test_every_registered_evaluator_has_a_case() -> None:
    assert sorted(CASES) == EVALUATORS.names()


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> tuple[Evaluator, SearchSpace, Genotype]:
    evaluator_config, space_config = CASES[request.param]
    space = make_space(space_config)
    return make_evaluator({**evaluator_config, "seed": 3}), space, space.sample(np.random.default_rng(0))


def test_declared_metrics_are_the_ones_returned(case: tuple[Evaluator, SearchSpace, Genotype]) -> None:
    evaluator, space, genotype = case
    schema = {s.name: s for s in evaluator.metric_schema()}
    assert all(s.split in ("train", "valid", "test", "none") for s in schema.values())
    assert evaluator.objective in schema and schema[evaluator.objective].split != "test"
    searched = evaluator.evaluate(genotype, space)
    assert set(searched.metrics) <= set(schema), set(searched.metrics) - set(schema)
    assert not any(schema[name].split == "test" for name in searched.metrics), "test data looked at"
    final = evaluator.evaluate(genotype, space, options=EvalOptions(test=True))
    assert set(final.metrics) <= set(schema)
    assert {n for n, s in schema.items() if s.split == "valid"} <= set(final.metrics) | {"valid_12"}


def test_picklable_and_deterministic_given_the_seed(case: tuple[Evaluator, SearchSpace, Genotype]) -> None:
    evaluator, space, genotype = case
    copy = pickle.loads(pickle.dumps(evaluator))
    assert copy.config() == evaluator.config()
    units = {s.name: s.unit for s in evaluator.metric_schema()}
    stable = lambda m: {k: v for k, v in m.items() if units[k] not in TIMING_UNITS}  # noqa: E731
    assert stable(copy.evaluate(genotype, space).metrics) == stable(
        evaluator.evaluate(genotype, space).metrics
    )


def test_a_bad_genotype_fails_with_a_reason(case: tuple[Evaluator, SearchSpace, Genotype]) -> None:
    evaluator, space, _ = case
    foreign = Genotype("nonsense", ("not", "an", "architecture"))
    result = run_evaluation(evaluator, foreign, space, None)
    assert result.error and result.metrics == {}

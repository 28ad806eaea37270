"""Scoring a path with its own dropout on: paths that differ in dropout alone no longer tie."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from nasforge import make_space
from nasforge.errors import InvalidArgumentError
from nasforge.genotype import Genotype
from nasforge.oneshot.evaluator import SupernetEvaluator
from nasforge.oneshot.supernets import dropout_on, make_supernet
from nasforge.spaces.base import SearchSpace
from nasforge.study.study_config import StudyConfig
from nasforge.task import Task

SPACES = [
    {"name": "macro", "max_blocks": 2, "choices": {"channels": [8, 16], "stride": [1]}},
    {"name": "families", "max_blocks": 2, "choices": {"channels": [8, 16], "depth": [1]}},
]


def with_dropout(space: SearchSpace, genotype: Genotype, rate: float) -> Genotype:
    return space.from_features({**space.features(genotype), "head.dropout": rate})


@pytest.mark.parametrize("config", SPACES, ids=lambda c: c["name"])
def test_dropout_on_drops_in_evaluation_mode_and_leaves_batchnorm_alone(config: dict[str, Any]) -> None:
    space = make_space(config)
    supernet = make_supernet(space, Task((1, 8, 8), 10)).eval()
    x = torch.randn(64, 1, 8, 8)
    heavy = with_dropout(space, space.sample(np.random.default_rng(0)), 0.5)
    statistics = {k: v.clone() for k, v in supernet.named_buffers()}
    with torch.no_grad():
        plain = supernet(x, heavy)
        assert torch.equal(plain, supernet(x, with_dropout(space, heavy, 0.0)))  # the identity
        with dropout_on(supernet):
            dropped = supernet(x, heavy)
        assert torch.equal(plain, supernet(x, heavy))  # off again on leaving
    assert not torch.allclose(plain, dropped)
    for key, value in supernet.named_buffers():
        assert torch.equal(value, statistics[key]), key  # BatchNorm kept its statistics


def test_score_dropout_ranks_paths_that_differ_in_dropout_alone() -> None:
    space = make_space(SPACES[0])
    low = with_dropout(space, space.sample(np.random.default_rng(3)), 0.0)
    high = with_dropout(space, low, 0.5)
    plain = SupernetEvaluator(data="digits", epochs=2, threads=1, score_dropout=False)
    assert plain.evaluate(low, space).metrics == plain.evaluate(high, space).metrics
    dropping = SupernetEvaluator(data="digits", epochs=2, threads=1)  # the default
    first = dropping.evaluate(high, space).metrics
    assert first == dropping.evaluate(high, space).metrics  # the same masks every time
    assert first["supernet_valid_loss"] > dropping.evaluate(low, space).metrics["supernet_valid_loss"]
    assert dropping.evaluate(low, space).metrics == plain.evaluate(low, space).metrics
    assert dropping.config()["score_dropout"] is True


def test_score_dropout_must_be_a_boolean() -> None:
    given: dict[str, Any] = {"score_dropout": "yes"}  # as a TOML file might say it
    with pytest.raises(InvalidArgumentError, match="score_dropout"):
        SupernetEvaluator(**given)


def test_a_supernet_study_of_an_earlier_release_keeps_scoring_in_evaluation_mode() -> None:
    stored = {"space": {"name": "macro"}, "strategy": {"name": "random"}, "objectives": []}
    earlier = StudyConfig.model_validate({**stored, "evaluator": {"name": "supernet", "epochs": 30}})
    assert earlier.evaluator == {"name": "supernet", "epochs": 30, "score_dropout": False}
    now = SupernetEvaluator().config()
    assert StudyConfig.model_validate({**stored, "evaluator": now}).evaluator == now

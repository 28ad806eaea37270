"""Several supernets trained alike but for their seeds: a path scores by their mean."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from nasforge import make_space
from nasforge.errors import InvalidArgumentError
from nasforge.oneshot.evaluator import SupernetEvaluator
from nasforge.oneshot.supernets import SupernetEnsemble

SPACE = {"name": "macro", "max_blocks": 2, "choices": {"channels": [8, 16], "stride": [1]}}


def test_an_ensemble_averages_the_probabilities_of_supernets_trained_with_consecutive_seeds(
    tmp_path: Path,
) -> None:
    space = make_space(SPACE)
    epochs: list[tuple[int, int]] = []
    evaluator = SupernetEvaluator(data="digits", epochs=2, supernets=2, threads=1)
    checkpoint = tmp_path / "supernet-checkpoint.safetensors"
    ensemble = evaluator.train(space, checkpoint, lambda done, total, _: epochs.append((done, total)))
    assert isinstance(ensemble, SupernetEnsemble) and len(ensemble.members) == 2
    assert epochs == [(0, 4), (1, 4), (2, 4), (2, 4), (3, 4), (4, 4)]  # counted across both
    assert checkpoint.exists() and not (tmp_path / "supernet-checkpoint-1.safetensors").exists()
    single = SupernetEvaluator(data="digits", epochs=2, threads=1).train(space)
    first, second = ensemble.members
    for a, b in zip(single.parameters(), first.parameters(), strict=True):
        assert torch.equal(a, b)  # the first member is the supernet one alone would train
    assert any(not torch.equal(a, c) for a, c in zip(first.parameters(), second.parameters(), strict=True))
    genotype, x = space.sample(np.random.default_rng(0)), torch.randn(5, 1, 8, 8)
    with torch.no_grad():
        mean = (torch.softmax(first(x, genotype), -1) + torch.softmax(second(x, genotype), -1)) / 2
        torch.testing.assert_close(ensemble(x, genotype), mean.log())


def test_a_saved_ensemble_scores_as_the_trained_one(tmp_path: Path) -> None:
    space = make_space(SPACE)
    genotype = space.sample(np.random.default_rng(1))
    trained = SupernetEvaluator(data="digits", epochs=1, supernets=3, threads=1)
    score = trained.evaluate(genotype, space).metrics
    trained.save(trained.supernet(space), tmp_path / "supernet.safetensors")
    loaded = SupernetEvaluator(data="digits", epochs=1, supernets=3, threads=1)
    loaded.weights = trained.weights
    assert loaded.evaluate(genotype, space).metrics == score


def test_darts_with_several_supernets_is_refused_in_one_line() -> None:
    evaluator = SupernetEvaluator(data="digits", method="darts", supernets=2)
    with pytest.raises(InvalidArgumentError, match="supernets=2"):
        evaluator.check(make_space({"name": "nb201", "channels": 8, "cells_per_stage": 1}))
    with pytest.raises(InvalidArgumentError, match="supernets"):
        SupernetEvaluator(supernets=0)
